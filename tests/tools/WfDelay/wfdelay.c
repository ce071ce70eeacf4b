/*
 * wfdelay: a userspace delay line, because this kernel has no netem.
 *
 * Bridges two interfaces of one network namespace at L2 and holds every frame
 * for a fixed time before passing it on, in order (one FIFO per direction).
 *
 *   wfdelay <ifA> <ifB> <delay_ms>
 *
 * Prints "ready" once both sockets are bound; exits on SIGTERM/SIGINT and then
 * prints its counters to stderr. Frames must fit the MTU: turn TSO/GSO/GRO and
 * checksum offload off on both interfaces and their peers (ethtool -K), or the
 * frames read here are super-packets or carry unfinished checksums.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOT 2048 /* a 1500-MTU frame plus headroom */

struct queue {
    unsigned char *data; /* cap slots of SLOT bytes */
    uint32_t *len;
    uint64_t *due; /* ns, CLOCK_MONOTONIC */
    size_t cap, head, count;
    unsigned long long fwd, full, oversize, senderr;
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_if(const char *name)
{
    unsigned idx = if_nametoindex(name);
    if (!idx) { fprintf(stderr, "wfdelay: no interface %s\n", name); return -1; }
    /* protocol 0 until bound, so that no frame of another interface gets in first */
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { perror("wfdelay: socket"); return -1; }
    int buf = 8 << 20, one = 1;
    /* FORCE: the default rmem_max would drop bursts of a 20 MiB/s flow */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    /* what we send out of this interface must not come back as input */
    if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
        perror("wfdelay: PACKET_IGNORE_OUTGOING"); close(fd); return -1;
    }
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx };
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("wfdelay: bind"); close(fd); return -1; }
    struct packet_mreq mr = { .mr_ifindex = (int)idx, .mr_type = PACKET_MR_PROMISC };
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
        perror("wfdelay: PACKET_ADD_MEMBERSHIP"); close(fd); return -1;
    }
    return fd;
}

static int queue_init(struct queue *q, size_t cap)
{
    memset(q, 0, sizeof *q);
    q->cap = cap;
    q->data = malloc(cap * SLOT);
    q->len = malloc(cap * sizeof *q->len);
    q->due = malloc(cap * sizeof *q->due);
    return q->data && q->len && q->due ? 0 : -1;
}

#define BATCH 64 /* frames per recvmmsg/sendmmsg: one syscall a frame carried only ~90 MiB/s */

/* Reads everything waiting on fd into q, each frame due delay ns after now. */
static void take_in(int fd, struct queue *q, uint64_t delay)
{
    static unsigned char scratch[65536];
    struct mmsghdr m[BATCH];
    struct iovec v[BATCH];
    for (;;) {
        size_t room = q->cap - q->count, want = room < BATCH ? room : BATCH;
        if (!want) { /* full: read one frame into scratch to drop it */
            ssize_t n = recv(fd, scratch, sizeof scratch, 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                return; /* EAGAIN: drained */
            }
            q->full++;
            continue;
        }
        memset(m, 0, want * sizeof m[0]);
        for (size_t k = 0; k < want; k++) {
            v[k].iov_base = q->data + ((q->head + q->count + k) % q->cap) * SLOT;
            v[k].iov_len = SLOT;
            m[k].msg_hdr.msg_iov = &v[k];
            m[k].msg_hdr.msg_iovlen = 1;
        }
        int got = recvmmsg(fd, m, (unsigned)want, MSG_TRUNC, NULL);
        if (got < 0) {
            if (errno == EINTR) continue;
            return; /* EAGAIN: drained */
        }
        uint64_t due = now_ns() + delay;
        /* an oversize frame leaves a gap: the frames after it move up */
        size_t kept = 0;
        for (int k = 0; k < got; k++) {
            if (m[k].msg_len > SLOT || (m[k].msg_hdr.msg_flags & MSG_TRUNC)) { q->oversize++; continue; }
            size_t i = (q->head + q->count + kept) % q->cap;
            if (kept != (size_t)k)
                memcpy(q->data + i * SLOT, v[k].iov_base, m[k].msg_len);
            q->len[i] = m[k].msg_len;
            q->due[i] = due;
            kept++;
        }
        q->count += kept;
        if ((size_t)got < want) return; /* drained */
    }
}

/* Sends every due frame of q out of fd; returns 1 if fd's send buffer is full. */
static int give_out(int fd, struct queue *q, uint64_t now)
{
    struct mmsghdr m[BATCH];
    struct iovec v[BATCH];
    while (q->count && q->due[q->head] <= now) {
        size_t n = 0;
        memset(m, 0, sizeof m);
        while (n < BATCH && n < q->count && q->due[(q->head + n) % q->cap] <= now) {
            size_t i = (q->head + n) % q->cap;
            v[n].iov_base = q->data + i * SLOT;
            v[n].iov_len = q->len[i];
            m[n].msg_hdr.msg_iov = &v[n];
            m[n].msg_hdr.msg_iovlen = 1;
            n++;
        }
        int sent = sendmmsg(fd, m, (unsigned)n, 0);
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1; /* keep them, retry on POLLOUT */
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0) { q->senderr++; sent = 1; } /* drop the frame that failed, go on */
        else q->fwd += (unsigned)sent;
        q->head = (q->head + (size_t)sent) % q->cap;
        q->count -= (size_t)sent;
        if ((size_t)sent < n) return 1; /* the send buffer filled up part way */
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: wfdelay <ifA> <ifB> <delay_ms>\n"); return 2; }
    char *end;
    long ms = strtol(argv[3], &end, 10);
    if (*end || ms < 0 || ms > 10000) { fprintf(stderr, "wfdelay: bad delay_ms %s\n", argv[3]); return 2; }
    uint64_t delay = (uint64_t)ms * 1000000ull;

    sigset_t block, orig;
    sigemptyset(&block); sigaddset(&block, SIGTERM); sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &orig); /* delivered only inside ppoll: no lost wake-up */
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGTERM, &sa, NULL); sigaction(SIGINT, &sa, NULL);

    prctl(PR_SET_TIMERSLACK, 1UL); /* frames leave when due, not up to 50 us later */
    int fd[2] = { open_if(argv[1]), open_if(argv[2]) };
    if (fd[0] < 0 || fd[1] < 0) return 1;
    /* room for the delay at ~60 MB/s of full frames, at least 4096 frames */
    size_t cap = 4096 + (size_t)ms * 80;
    struct queue q[2]; /* q[0]: A -> B, q[1]: B -> A */
    if (queue_init(&q[0], cap) || queue_init(&q[1], cap)) { fprintf(stderr, "wfdelay: out of memory\n"); return 1; }
    printf("ready\n");
    fflush(stdout);

    int blocked[2] = { 0, 0 }; /* blocked[i]: fd[i] could not take q[1-i]'s head */
    while (!stop) {
        uint64_t now = now_ns();
        for (int i = 0; i < 2; i++) blocked[1 - i] = give_out(fd[1 - i], &q[i], now);
        struct pollfd p[2];
        for (int i = 0; i < 2; i++) {
            p[i].fd = fd[i];
            p[i].events = POLLIN | (blocked[i] ? POLLOUT : 0);
            p[i].revents = 0;
        }
        struct timespec ts, *tsp = NULL;
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < 2; i++)
            if (q[i].count && !blocked[1 - i] && q[i].due[q[i].head] < next) next = q[i].due[q[i].head];
        if (next != UINT64_MAX) {
            uint64_t wait = next > now ? next - now : 0;
            ts.tv_sec = (time_t)(wait / 1000000000ull);
            ts.tv_nsec = (long)(wait % 1000000000ull);
            tsp = &ts;
        }
        int r = ppoll(p, 2, tsp, &orig);
        if (r < 0 && errno != EINTR) { perror("wfdelay: ppoll"); break; }
        for (int i = 0; i < 2 && r > 0; i++)
            if (p[i].revents & POLLIN) take_in(fd[i], &q[i], delay);
    }
    for (int i = 0; i < 2; i++) {
        /* frames the kernel dropped because the socket's receive buffer was full */
        struct tpacket_stats st = { 0 };
        socklen_t sl = sizeof st;
        getsockopt(fd[i], SOL_PACKET, PACKET_STATISTICS, &st, &sl);
        fprintf(stderr, "wfdelay: %s -> %s: %llu forwarded, %llu queue full, %u socket drops, %llu oversize, %llu send errors\n",
            argv[1 + i], argv[2 - i], q[i].fwd, q[i].full, st.tp_drops, q[i].oversize, q[i].senderr);
    }
    return 0;
}

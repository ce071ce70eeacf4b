// SeedPattern.cs — the "seed" traffic model of the original design's test sender:
// random send sizes, random inter-send gaps, a pace factor re-drawn every second and
// occasional bursts of 50 back-to-back sends. One instance per sender thread (not
// thread-safe). Gaps are returned in Stopwatch ticks; the caller pays them off.
namespace WfTraffic;

internal sealed class SeedPattern
{
    /// <summary>Pace factors; the gaps of the current second are divided by one of these.</summary>
    private static readonly double[] Factors = [10, 5, 2, 1, 0.5];

    public const int BurstLength = 50;
    public const double BurstProbability = 0.30;

    private readonly Random _rng;
    private readonly int _maxSize;
    private readonly double _scale;
    private readonly long _second = Clock.FromMs(1000);
    private long _nextPaceChange;
    private int _burstLeft;

    public SeedPattern(Random rng, int maxSize, double scale, long startTimestamp)
    {
        _rng = rng;
        _maxSize = maxSize;
        _scale = scale;
        Factor = Factors[_rng.Next(Factors.Length)];
        _nextPaceChange = startTimestamp + _second;
    }

    /// <summary>Current pace factor (gaps are divided by Factor * scale).</summary>
    public double Factor { get; private set; }

    /// <summary>Size of the next send: 40 % 64-512 B, 30 % 512-1024 B, 20 % 1024-1400 B, 10 % 1400-max B.</summary>
    public int NextSize()
    {
        int r = _rng.Next(100);
        return r switch
        {
            < 40 => Uniform(64, 512),
            < 70 => Uniform(512, 1024),
            < 90 => Uniform(1024, 1400),
            _ => Uniform(1400, _maxSize),
        };
    }

    /// <summary>
    /// Gap owed after a send, in Stopwatch ticks. Outside a burst, 30 % of sends start a
    /// burst: that send and the next 49 go back-to-back (gap 0); the last send of a burst
    /// is followed by a normal random gap. Gaps: 30 % 1-9 us, 30 % 10-99 us, 20 % 100-999 us, 20 % 1-10 ms.
    /// </summary>
    public long GapAfterSend(long now)
    {
        if (now >= _nextPaceChange)
        {
            Factor = Factors[_rng.Next(Factors.Length)];
            _nextPaceChange += _second;
            if (_nextPaceChange <= now) _nextPaceChange = now + _second; // we were stalled for > 1 s
        }
        if (_burstLeft > 0)
        {
            _burstLeft--;
            if (_burstLeft > 0) return 0;
        }
        else if (_rng.NextDouble() < BurstProbability)
        {
            _burstLeft = BurstLength - 1; // this send is the first of the burst
            return 0;
        }
        int r = _rng.Next(100);
        double us = r switch
        {
            < 30 => UniformD(1, 10),
            < 60 => UniformD(10, 100),
            < 80 => UniformD(100, 1000),
            _ => UniformD(1000, 10000),
        };
        return Clock.FromUs(us / (Factor * _scale));
    }

    private int Uniform(int lo, int hiInclusive)
    {
        hiInclusive = Math.Min(hiInclusive, _maxSize);
        lo = Math.Min(lo, hiInclusive);
        return _rng.Next(lo, hiInclusive + 1);
    }

    private double UniformD(double lo, double hiExclusive) => lo + (_rng.NextDouble() * (hiExclusive - lo));
}

#!/bin/sh
# wf-run.sh CGROUP_DIR|- USER|- PROGRAM [ARGS...]
# Joins the cgroup v2 directory (so every socket the program makes is in it),
# becomes the user, then runs the program: the tests' way to start a traffic
# process inside a cgroup or as another user. "-" leaves either as it is.
cg=$1; user=$2; shift 2
if [ "$cg" != - ]; then echo $$ > "$cg/cgroup.procs" || exit 1; fi
if [ "$user" != - ]; then
    exec setpriv --reuid "$user" --regid "$user" --init-groups env HOME=/tmp DOTNET_CLI_HOME=/tmp "$@"
fi
exec "$@"

#!/bin/sh
# wf-fork.sh PROGRAM [ARGS...]: runs the program as a child of this shell (not
# exec'd in its place), so that the tests can start a traffic process whose
# parent has another name (New-WfNamedTraffic -Shell runs this script).
"$@"
exit $?

# trap: on EXIT, on a signal sent to itself, reset, and in a subshell.
trap 'echo exit trap runs' EXIT
trap 'echo caught USR1' USR1
kill -USR1 $$
echo after USR1
trap - USR1
(trap 'echo subshell exit' EXIT; echo in subshell)
trap 'echo caught TERM; exit 9' TERM
kill -TERM $$
echo not reached

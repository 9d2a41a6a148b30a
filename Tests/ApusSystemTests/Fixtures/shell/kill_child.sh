# A child killed with a signal: its status is 128 + the signal, and trap-free children die.
# (The shell's own "Terminated"/"Killed" goes to the wait's standard error, and only when
# the wait, not the shell's SIGCHLD handler before it, finds the child dead: not compared.)
sleep 10 &
pid=$!
kill $pid
wait $pid 2>/dev/null; echo "killed by TERM: $?"
sleep 10 &
pid=$!
kill -9 $pid
wait $pid 2>/dev/null; echo "killed by KILL: $?"
sh -c 'kill -INT $$; echo not reached'; echo "sh killed itself with INT: $?"
kill -0 $$ && echo "kill -0 of itself succeeds"

# A child killed with a signal: its status is 128 + the signal, and trap-free children die.
sleep 10 &
pid=$!
kill $pid
wait $pid; echo "killed by TERM: $?"
sleep 10 &
pid=$!
kill -9 $pid
wait $pid; echo "killed by KILL: $?"
sh -c 'kill -INT $$; echo not reached'; echo "sh killed itself with INT: $?"
kill -0 $$ && echo "kill -0 of itself succeeds"

# Stop and continue: a stopped process does not run until SIGCONT; a signal it handles waits
# for the SIGCONT too, and so does SIGTERM, while SIGKILL ends it at once; a stop signal it
# handles does not stop it. (The shell's "Terminated"/"Killed" is not
# compared: see kill_child.sh.)
(sleep 0.2; echo "the stopped shell goes on") &
pid=$!
kill -STOP $pid
sleep 0.6
echo "before SIGCONT"
kill -CONT $pid
wait $pid; echo "continued, then ended: $?"
sh -c 'trap "echo USR1 handled after SIGCONT" USR1; kill -STOP $$; echo "went on"' &
pid=$!
sleep 0.5
kill -USR1 $pid
sleep 0.2
echo "USR1 sent while stopped"
kill -CONT $pid
wait $pid; echo "ended: $?"
sleep 5 &
pid=$!
kill -STOP $pid
sleep 0.3
kill -TERM $pid
sleep 0.3
kill -0 $pid && echo "a stopped process keeps SIGTERM pending"
kill -CONT $pid
wait $pid 2>/dev/null; echo "SIGTERM ends it once continued: $?"
sleep 5 &
pid=$!
kill -STOP $pid
kill -KILL $pid
wait $pid 2>/dev/null; echo "SIGKILL ends a stopped process: $?"
sh -c 'trap "echo caught TSTP" TSTP; kill -TSTP $$; echo "not stopped"'
echo "a handled SIGTSTP: $?"

# Background jobs: several at once, wait for all and for one, their statuses, $! and output order by wait.
(sleep 0.2; echo slow > slow.out) &
(echo fast > fast.out) &
wait
cat fast.out slow.out
(exit 3) &
p=$!
wait $p; echo "job status $?"
for i in 1 2 3; do (echo "job $i" > job$i.out) & done
wait
cat job1.out job2.out job3.out
sleep 0.1 & echo "a job has a pid: $([ $! -gt 0 ] && echo yes)"
wait
echo done

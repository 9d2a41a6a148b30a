# Pipelines of three stages and more, and the status of a pipeline (its last command's).
seq 1 20 | grep 1 | sort -r | head -n 3
printf 'b\na\nc\na\nb\na\n' | sort | uniq -c | sort -rn | head -n 1
echo "The Quick Brown Fox" | tr 'A-Z' 'a-z' | tr ' ' '\n' | sort | tr '\n' ' '; echo
seq 1 100 | awk '{ s += $1 } END { print s }' | sed 's/^/total: /' | cat
true | false | true; echo "status $?"
true | true | false; echo "status $?"
! false; echo "negated $?"

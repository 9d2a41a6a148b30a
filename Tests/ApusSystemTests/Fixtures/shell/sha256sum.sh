# sha256sum of files, of standard input, and its check mode.
printf '' > empty
printf 'abc' > abc
seq 1 10000 > numbers
sha256sum empty abc numbers
printf 'abc' | sha256sum
sha256sum abc numbers > sums
sha256sum -c sums
echo changed >> numbers
sha256sum -c sums 2>/dev/null; echo "status $?"

# cat, wc, head and tail.
seq 1 30 > numbers
printf 'one two\nthree\n\nfour five six\n' > words
cat words words | wc -l
wc -l numbers; wc -w words; wc -c words
wc words
head -n 3 numbers; head -n 2 words
tail -n 2 numbers; tail -n +28 numbers
head -c 10 numbers | tr '\n' ,; echo
cat -n words
printf 'x\n' | cat - words | head -n 2

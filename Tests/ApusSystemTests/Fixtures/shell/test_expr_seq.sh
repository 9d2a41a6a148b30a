# test/[ (strings, numbers, files, -a -o !), expr (arithmetic, comparison, match, length), seq.
touch file; mkdir dir
for t in '-f file' '-d dir' '-e nothing' '-z ""' '-n x' 'a = a' 'a != b' '3 -lt 4' '5 -ge 6' '! -d file' '-f file -a -d dir' '-e nothing -o -d dir'; do
    if eval "[ $t ]"; then echo "[ $t ] true"; else echo "[ $t ] false"; fi
done
test 1 -eq 1; echo "test status $?"
expr 6 \* 7
expr 20 / 3
expr 20 % 3
expr 3 \< 5
expr length hello
expr substr hello 2 3
expr index hello l
expr abc123 : '[a-z]*'
expr 0 + 0; echo "expr of zero exits $?"
seq 5
seq 2 4
seq 1 3 10
seq -s , 1 5
seq 3 -1 1

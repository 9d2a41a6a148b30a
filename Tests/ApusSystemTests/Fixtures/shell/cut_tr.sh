# cut (-d -f, -c) and tr (ranges, -d, -s, -c).
printf 'a,b,c\n1,2,3\n' > csv
cut -d , -f 2 csv
cut -d , -f 1,3 csv
cut -c 1-3 csv
echo hello | cut -c 2-
echo 'Hello World' | tr 'a-z' 'A-Z'
echo 'hello world' | tr -d 'lo'
echo 'aaabbbccc' | tr -s 'a-c'
echo 'abc123def' | tr -cd '0-9'; echo
echo 'a b c' | tr ' ' '\n'

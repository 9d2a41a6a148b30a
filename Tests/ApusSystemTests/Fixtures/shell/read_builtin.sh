# The read builtin: from a file, a loop over a file's lines, the end of a pipeline, the end
# of the input, IFS splitting, -r and backslashes.
printf 'first line\nsecond  line here\n\n  indented\\ back\\slash\nno newline at the end' > lines.txt
read x < lines.txt
echo "x=[$x]"
n=0
while read line; do
    n=$((n + 1))
    echo "$n: [$line]"
done < lines.txt
echo "after the loop: n=$n line=[$line]"
while read -r a b; do echo "a=[$a] b=[$b]"; done < lines.txt
printf 'one two three\nfour\n' | while read -r first rest; do echo "first=[$first] rest=[$rest]"; done
seq 3 | sort -r | while read v; do echo "v=$v"; done
read y < /dev/null
echo "read at the end of the input: status $? y=[$y]"
: > empty.txt
if read z < empty.txt; then echo "read an empty file"; else echo "an empty file: status $?"; fi
printf 'root:x:0:0:root:/root:/bin/sh\n' > passwd
while IFS=: read -r user pass uid gid gecos home shell; do
    echo "user=$user uid=$uid home=$home shell=$shell"
done < passwd
echo 'a,b,,c' | { IFS=, read -r p q r s; echo "p=$p q=$q r=[$r] s=$s"; }
printf 'k1 v1\nk2 v2\n' | { read -r k v; read -r k2 v2; echo "$k=$v $k2=$v2"; }
exec 3< lines.txt
read -r l1 <&3
read -r l2 <&3
exec 3<&-
echo "from fd 3: [$l1] [$l2]"
last=$(printf 'no newline' | { read -r w; echo "status $? w=[$w]"; })
echo "$last"

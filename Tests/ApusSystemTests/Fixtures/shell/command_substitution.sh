# Command substitution: $(...), backquotes, nested, in strings, trailing newlines dropped.
now=$(echo captured)
echo "got: $now"
echo "nested: $(echo outer $(echo inner))"
echo `echo backquoted`
lines=$(printf 'a\nb\n\n\n')
echo "[$lines]"
count=$(printf '1\n2\n3\n' | wc -l)
echo "count $((count + 0))"
x=$(false); echo "status of a failing substitution: $?"
echo "$(cd / && pwd)"
for w in $(echo one two); do echo "word $w"; done

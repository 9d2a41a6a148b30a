# awk: fields, -F, BEGIN/END, arrays, printf, functions, NR/NF, conditions.
printf 'ann 30 paris\nbob 25 rome\ncid 35 paris\n' > people
awk '{ print $1 }' people
awk '$2 > 28 { print $1, $2 }' people
awk '{ total += $2 } END { print "total", total, "average", total / NR }' people
awk '{ count[$3]++ } END { n = 0; for (c in count) n++; print n, count["paris"], count["rome"] }' people
echo 'a:b:c' | awk -F : '{ print NF, $2 }'
awk 'BEGIN { printf "%5.2f|%-4s|%03d\n", 3.14159, "x", 7 }'
awk 'function twice(x) { return 2 * x } BEGIN { print twice(21) }'
awk 'NR == 2' people
awk '{ print toupper(substr($1, 1, 1)) substr($1, 2), length($3) }' people
echo "3 4" | awk '{ print $1 * $2, $1 * $1, int(7 / 2), 7 % 3 }'

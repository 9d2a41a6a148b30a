# Variables, parameter expansion and arithmetic.
a=5 b=7
echo "sum $((a + b)) product $((a * b)) quotient $((b / 2)) remainder $((b % 2))"
echo "$(( (a + b) * 2 - 1 ))" $((1 << 4)) $((0x10 + 010))
n=0; n=$((n + 1)); : $((n += 10)); echo "n=$n"
s="hello world"
echo "${#s} ${s#hello } ${s%world}x ${s%%o*} ${s##*o}"
echo "${unset:-default} ${unset:=assigned} $unset"
empty=
echo "[${empty:+set}] [${s:+set}]"
set -- first second "third arg"
echo "$# $1 $3" "$@"
for word in "$@"; do echo "<$word>"; done
echo "${s}suffix" '${s}' "\$s"
readonly r=1; echo r=$r

# if/elif/else, for, while, until, case, functions with local variables and return codes.
for i in 1 2 3 4 5; do
    if [ $i -eq 2 ]; then echo two
    elif [ $i -gt 3 ]; then echo "big $i"
    else echo "small $i"
    fi
done
i=0
while [ $i -lt 3 ]; do i=$((i + 1)); echo "while $i"; done
until [ $i -eq 0 ]; do i=$((i - 1)); [ $i -eq 1 ] && continue; echo "until $i"; done
for x in a b c d; do [ $x = c ] && break; echo "for $x"; done
for f in apple banana cherry; do
    case $f in
        a*) echo "$f starts with a" ;;
        *an*) echo "$f holds an" ;;
        *) echo "$f is other" ;;
    esac
done
square() { local v=$1; echo $((v * v)); return $((v % 2)); }
square 4; echo "status $?"
square 3; echo "status $?"
fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(($1 - 1))) )); fi; }
fact 6

# echo and printf: escapes, formats, widths, several arguments.
echo plain words   spaced
echo -n "no newline"; echo " then one"
echo -e 'tab:\there\nnewline'
printf '%s|%5s|%-5s|\n' a b c
printf '%d %05d %x %X %o\n' 42 42 255 255 8
printf '%s\n' one two three
printf '%%literal %c\n' xyz
printf '%.3s\n' abcdef
printf 'no arguments\n'

# xargs: default, -n, -I, with find, -0.
printf 'a\nb\nc\nd\ne\n' | xargs echo
printf 'a\nb\nc\nd\ne\n' | xargs -n 2 echo
printf 'x\ny\n' | xargs -I @ echo item @ end
touch f1 f2 f3
ls f* | xargs rm
ls f* 2>/dev/null | wc -l
printf 'one\0two\0' | xargs -0 echo
echo 1 2 3 | xargs -n 1 expr 10 +

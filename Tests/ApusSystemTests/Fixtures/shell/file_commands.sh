# mkdir -p, touch, cp (-r), mv, rm (-r, -f), ln, and what is left after each.
mkdir -p a/b/c
touch a/b/c/file a/top
echo data > a/b/data
cp a/b/data copy
cp -r a a2
mv copy moved
mv a2/b a2/renamed
find . | sort
rm -r a2
rm -f missing; echo "rm -f of a missing file: $?"
rm moved
mkdir -p a/b/c; echo "mkdir -p again: $?"
mkdir a 2>/dev/null; echo "mkdir of an existing folder: $?"
touch a/top; [ -f a/top ] && echo "touch kept the file"
ln a/b/data hard
cat hard
find . | sort
rm -rf a; ls

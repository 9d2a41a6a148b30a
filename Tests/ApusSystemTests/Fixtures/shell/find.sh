# find: -name, -type, -maxdepth, -newer-free predicates, -exec, printed in sorted order.
mkdir -p tree/a/b tree/c
touch tree/one.txt tree/a/two.txt tree/a/b/three.log tree/c/four.txt
find tree | sort
find tree -type d | sort
find tree -type f -name '*.txt' | sort
find tree -maxdepth 1 | sort
find tree -name '*.log' -exec echo found {} \;
find tree -type f | wc -l
find tree/c -empty | sort

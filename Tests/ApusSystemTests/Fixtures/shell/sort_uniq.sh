# sort (default, -n, -r, -u, -k, -t) and uniq (-c, -d, -u).
printf 'pear\napple\nfig\napple\nbanana\nfig\nfig\n' > fruit
sort fruit
sort -u fruit
sort -r fruit | head -n 2
printf '10\n9\n100\n1\n' | sort -n
printf '10\n9\n100\n1\n' | sort
printf 'b 2\na 3\nc 1\n' | sort -k 2
printf 'x:3\ny:1\nz:2\n' | sort -t : -k 2 -n
sort fruit | uniq -c
sort fruit | uniq -d
sort fruit | uniq -u

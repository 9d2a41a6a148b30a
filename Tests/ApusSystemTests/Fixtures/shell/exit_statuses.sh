# Exit statuses: of commands, of a subshell, of a function, of sh -c, of a missing command, and of the script.
true; echo "true $?"
false; echo "false $?"
(exit 3); echo "subshell $?"
f() { return 4; }; f; echo "function $?"
sh -c 'exit 5'; echo "sh -c $?"
no-such-command 2>/dev/null; echo "missing $?"
true && echo "and ran"
false || echo "or ran"
false && echo "never"
set -e
true
echo "before the end"
exit 7

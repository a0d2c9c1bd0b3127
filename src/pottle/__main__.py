from pottle.cli import main

main()

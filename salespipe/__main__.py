from salespipe.cli import main

raise SystemExit(main())

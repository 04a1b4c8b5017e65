from desktop_gan.cli import main

raise SystemExit(main())

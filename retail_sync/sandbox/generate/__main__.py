"""`python -m retail_sync.sandbox.generate --out DIR --seed N ...`."""

from retail_sync.sandbox.generate.command import main

raise SystemExit(main())

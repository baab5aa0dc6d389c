import sys

from testing.fake_mapillary.cli import main

sys.exit(main())

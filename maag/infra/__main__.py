import sys

from maag.infra.local import main

sys.exit(main(sys.argv[1:]))

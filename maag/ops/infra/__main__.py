import sys

from maag.ops.infra.local import main

sys.exit(main(sys.argv[1:]))

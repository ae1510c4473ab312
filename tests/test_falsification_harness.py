"""The falsification harness reuses a chapter's kernel only for faults it can undo."""

import pytest
from falsification import patches_only_the_library


@pytest.mark.parametrize("code, undoable", [
    ("import firesales.kurlat as m\nm.price_slope = lambda *a, **k: 0", True),
    ("from firesales import fernando as f\nf.price0 = None\nf.X.attr = 1", True),
    ("import numpy as np\nimport firesales.kurlat as m\nm.f = np.sqrt", True),
    ("import math\nmath.pi *= 1 + 1e-6", False),
    ("import math\ndel math.pi", False),
    ("import numpy as np\nnp.sqrt = abs", False),
    ("import firesales.kurlat as m\nsetattr(m, 'f', 1)", False),
    ("import firesales.kurlat as m\nimport numpy as np\nnp.linalg.x = 1", False),
])
def test_only_faults_that_patch_the_library_share_a_kernel(code, undoable):
    assert patches_only_the_library(code) is undoable

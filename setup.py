"""Build logic only: compile ``ext/*.pyx`` into ``deorbit._kernel`` (the propagation
kernel) and ``deorbit._scan`` (the final-burn scan's approximate distances).

``DEORBIT_COMPILE`` chooses what happens when the kernel cannot be compiled:

- ``auto`` (default): try to compile; if Cython or a C compiler is missing, install the
  pure-Python package and warn (``deorbit.accelerated`` is then ``False``);
- ``always``: a failed compilation fails the install;
- ``never``: do not compile (pure-Python reference backend only).

Flags: ``-O3``, no OpenMP, no ``-march=native`` (wheels must run on any x86-64/aarch64).
"""
import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

MODE = os.environ.get("DEORBIT_COMPILE", "auto").strip().lower()
if MODE not in {"auto", "always", "never"}:
    sys.exit(f"DEORBIT_COMPILE={MODE!r}: allowed values are auto, always, never")


class OptionalBuildExt(build_ext):
    """Let ``auto`` fall back to the pure-Python backend when compilation fails."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure
            self._fallback(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            self._fallback(exc)

    @staticmethod
    def _fallback(exc):
        if MODE == "always":
            raise exc
        print(f"WARNING: deorbit kernel not compiled ({exc}); the pure-Python reference "
              "backend will be used (deorbit.accelerated is False).", file=sys.stderr)


def extensions():
    if MODE == "never":
        return []
    try:
        import numpy  # noqa: F401  (build requirement; keeps the error message clear)
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError as exc:
        if MODE == "always":
            raise
        print(f"WARNING: {exc}; building without the compiled kernel.", file=sys.stderr)
        return []
    # -ffp-contract=off: no fused multiply-adds, so the kernel and its pure-Python twin
    # evaluate the same IEEE-754 operations (bit-identical on x86-64 and aarch64).
    exts = [Extension(
        f"deorbit.{name}",
        sources=[f"ext/{name}.pyx"],
        include_dirs=["ext"],
        extra_compile_args=(["-O3", "-fno-math-errno", "-ffp-contract=off",
                             "-fno-tree-loop-distribute-patterns"]
                            if os.name != "nt" else ["/O2"]),
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ) for name in ("_kernel", "_scan")]
    return cythonize(exts, language_level=3, compiler_directives={"embedsignature": True})


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})

"""Build logic only: compile ``ext/*.pyx`` into ``deorbit._kernel`` (the propagation
kernel) and ``deorbit._scan`` (the final-burn scan's approximate distances).

``DEORBIT_COMPILE`` chooses what happens when the kernel cannot be compiled:

- ``auto`` (default): try to compile; if Cython or a C compiler is missing, install the
  pure-Python package and warn (``deorbit.accelerated`` is then ``False``);
- ``always``: a failed compilation fails the install;
- ``never``: do not compile (pure-Python reference backend only).

Flags: ``-O3``, no OpenMP, no ``-march=native`` (wheels must run on any x86-64/aarch64), and
``-ffp-contract=off`` always (no fused multiply-adds: the kernel evaluates the reference's
IEEE-754 operations exactly). The Cowell phase's lane loops (``ext/lanes.h``) are compiled
for x86-64's SSE2 baseline plus AVX2 and AVX-512 clones that the CPU picks at load time (GCC
on x86-64 Linux; elsewhere once, for the target's baseline). ``deorbit._kernel.SIMD`` tells
which one runs.

``DEORBIT_NATIVE=1`` (opt-in) compiles the kernel for the building machine instead
(``-march=native``, no clones): for a cluster's own nodes, not for wheels. Results are the
same bytes either way.
"""
import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

MODE = os.environ.get("DEORBIT_COMPILE", "auto").strip().lower()
if MODE not in {"auto", "always", "never"}:
    sys.exit(f"DEORBIT_COMPILE={MODE!r}: allowed values are auto, always, never")
NATIVE = os.environ.get("DEORBIT_NATIVE", "0").strip()
if NATIVE not in {"0", "1", ""}:
    sys.exit(f"DEORBIT_NATIVE={NATIVE!r}: allowed values are 0 and 1")
NATIVE = NATIVE == "1"


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
    flags = ["-O3", "-fno-math-errno", "-ffp-contract=off", "-fno-tree-loop-distribute-patterns"]
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    if NATIVE:
        flags.append("-march=native")
        macros.append(("DEORBIT_NATIVE", "1"))
    exts = [Extension(
        f"deorbit.{name}",
        sources=[f"ext/{name}.pyx"],
        include_dirs=["ext"],
        extra_compile_args=flags if os.name != "nt" else ["/O2"],
        define_macros=macros,
        # Linked to libm, exp and pow bind to glibc's current symbol versions; unlinked, they
        # resolve at load time to the oldest ones (exp@GLIBC_2.2.5), whose compatibility
        # wrappers around the same routines cost a third of each exp call.
        libraries=["m"] if os.name != "nt" else [],
    ) for name in ("_kernel", "_scan")]
    return cythonize(exts, language_level=3, compiler_directives={"embedsignature": True})


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})

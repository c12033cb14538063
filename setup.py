"""Builds nmfkit's extension module with CMake (see pyproject.toml for the pip command)."""
import os
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


class CMakeBuild(build_ext):
    """Configures this repository with the Python package on and the tests off, builds the module
    target, and places the module where setuptools expects the extension."""

    def build_extension(self, ext):
        build_dir = os.path.join(ROOT, "build", "pip")
        jobs = str(os.cpu_count() or 1)
        subprocess.check_call([
            "cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
            "-DNMFKIT_BUILD_PYTHON=ON", "-DNMFKIT_BUILD_TESTS=OFF", "-DNMFKIT_BUILD_BENCH=OFF",
            f"-DPython3_EXECUTABLE={sys.executable}",
        ])
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "nmfkit_python",
                               "-j", jobs])
        built = os.path.join(build_dir, "python", "nmfkit")
        module = next(f for f in os.listdir(built) if f.startswith("_core") and f.endswith(".so"))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        self.copy_file(os.path.join(built, module), target)


setup(
    packages=["nmfkit"],
    package_dir={"": "python"},
    ext_modules=[Extension("nmfkit._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)

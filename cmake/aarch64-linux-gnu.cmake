# Cross-compiling faasnet for 64-bit Arm Linux (AWS Lambda's arm64) on an x86_64 Debian host, with
# Debian's cross compiler (crossbuild-essential-arm64) and an arm64 sysroot of Debian's -dev packages.
# scripts/cross-probe makes the sysroot and uses this file:
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DFAASNET_SYSROOT=/abs/path/to/sysroot
#
# FAASNET_SYSROOT (cache variable, else the environment variable of that name) is the sysroot's root.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT FAASNET_SYSROOT)
  set(FAASNET_SYSROOT "$ENV{FAASNET_SYSROOT}")
endif()
if(NOT FAASNET_SYSROOT OR NOT EXISTS "${FAASNET_SYSROOT}/usr/include")
  message(FATAL_ERROR "aarch64-linux-gnu.cmake: set FAASNET_SYSROOT to an arm64 sysroot "
                      "(scripts/cross-probe arm64 makes one), got '${FAASNET_SYSROOT}'")
endif()
set(FAASNET_SYSROOT "${FAASNET_SYSROOT}" CACHE PATH "The arm64 sysroot (Debian -dev packages)")
# try_compile projects re-read this file: hand them the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES FAASNET_SYSROOT)

set(CMAKE_SYSROOT "${FAASNET_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${FAASNET_SYSROOT}")
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # tools (pkg-config, git) are the host's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)    # libraries, headers, CMake packages: the sysroot's
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The host's pkg-config, reading only the sysroot's .pc files and prefixing their paths with it.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${FAASNET_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${FAASNET_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${FAASNET_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

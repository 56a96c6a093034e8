// The bundled probe's `bootstrap` on a foreign Linux (AWS Lambda's provided.al2023): a static
// program that runs bin/probe with the C library and shared libraries it was built with, all
// shipped beside it in lib/ (see bundle.sh), through that C library's own dynamic loader:
//
//   lib/ld.so --library-path <dir>/lib --argv0 <argv[0]> <dir>/bin/probe [args...]
//
// so nothing of the host's /lib or /usr/lib is loaded and the glibc version the probe needs is
// always there. It is static so that it needs nothing of the host either (no /bin/sh, no loader).
//
// The bundled libcurl was built to look for Debian's CA file; on a host without that file, the
// launcher points AWS_CA_BUNDLE (which the probe hands to libcurl) at the host's own bundle, unless
// the caller set one.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char* const kDebianCaFile = "/etc/ssl/certs/ca-certificates.crt";
static const char* const kOtherCaFiles[] = {
    "/etc/pki/tls/certs/ca-bundle.crt",  // Amazon Linux, Fedora, RHEL
    "/etc/ssl/cert.pem",                 // Alpine, macOS-like layouts
    "/etc/ssl/ca-bundle.pem",            // openSUSE
};

int main(int argc, char** argv) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    fprintf(stderr, "bootstrap: cannot read /proc/self/exe: %s (is /proc mounted?)\n", strerror(errno));
    return 127;
  }
  self[n] = '\0';
  char* slash = strrchr(self, '/');
  if (slash) *slash = '\0';
  const char* dir = self[0] ? self : "/";

  char loader[PATH_MAX], libs[PATH_MAX], probe[PATH_MAX];
  if (snprintf(loader, sizeof loader, "%s/lib/ld.so", dir) >= (int)sizeof loader ||
      snprintf(libs, sizeof libs, "%s/lib", dir) >= (int)sizeof libs ||
      snprintf(probe, sizeof probe, "%s/bin/probe", dir) >= (int)sizeof probe) {
    fprintf(stderr, "bootstrap: path too long: %s\n", dir);
    return 127;
  }

  if (!getenv("AWS_CA_BUNDLE") && access(kDebianCaFile, R_OK) != 0) {
    for (size_t i = 0; i < sizeof kOtherCaFiles / sizeof kOtherCaFiles[0]; ++i) {
      if (access(kOtherCaFiles[i], R_OK) == 0) {
        setenv("AWS_CA_BUNDLE", kOtherCaFiles[i], 1);
        break;
      }
    }
  }

  char** args = calloc((size_t)argc + 7, sizeof *args);
  if (!args) return 127;
  int k = 0;
  args[k++] = loader;
  args[k++] = "--library-path";
  args[k++] = libs;
  args[k++] = "--argv0";
  args[k++] = argv[0] ? argv[0] : "bootstrap";
  args[k++] = probe;
  for (int i = 1; i < argc; ++i) args[k++] = argv[i];
  args[k] = NULL;
  execv(loader, args);
  fprintf(stderr, "bootstrap: cannot run %s: %s\n", loader, strerror(errno));
  return 127;
}

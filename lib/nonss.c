/* nonss.c - the static build's guard against NSS (linked only with -Dstatic=true).
 *
 * A static glibc binary cannot load NSS modules, so its getaddrinfo, getpwuid_r and
 * friends would fail in surprising ways, or load another glibc's modules from the
 * image. etcd-init resolves every name with c-ares (dns.c) and pins libcurl to those
 * addresses (http.h), so none of them is ever needed; but OpenSSL (BIO_lookup, its
 * DSO loader), c-ares (service names, getnameinfo) and GnuTLS (the home directory of
 * its trust-on-first-use store) carry code that calls them. The linker redirects
 * those calls here (-Wl,--wrap=..., meson.build): each one refuses, says so on stderr,
 * and pulls no glibc NSS code into the binary (the static link has no "Using 'X' in
 * statically linked applications" warning left; docker/build-static.sh checks that). */
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

/* Every wrapper is declared here: they have no header (the linker calls them). */
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);
int __wrap_getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
		       char *serv, socklen_t servlen, int flags);
struct hostent *__wrap_gethostbyname(const char *name);
struct servent *__wrap_getservbyname(const char *name, const char *proto);
int __wrap_getservbyport_r(int port, const char *proto, struct servent *result_buf, char *buf,
			   size_t buflen, struct servent **result);
int __wrap_getpwuid_r(uid_t uid, struct passwd *pwd, char *buf, size_t buflen,
		      struct passwd **result);
void *__wrap_dlopen(const char *filename, int flags);

static void refused(const char *fn)
{
	static const char head[] = "etcd-init: ";
	static const char tail[] = " refused: the static build resolves names with c-ares only\n";

	/* write(2) only: this may run anywhere, in any state. */
	if (write(STDERR_FILENO, head, sizeof(head) - 1) < 0 ||
	    write(STDERR_FILENO, fn, strlen(fn)) < 0 || write(STDERR_FILENO, tail, sizeof(tail) - 1) < 0)
		return;
}

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	(void)node;
	(void)service;
	(void)hints;
	*res = NULL;
	refused("getaddrinfo");
	return EAI_FAIL;
}

int __wrap_getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
		       char *serv, socklen_t servlen, int flags)
{
	(void)sa;
	(void)salen;
	(void)host;
	(void)hostlen;
	(void)serv;
	(void)servlen;
	(void)flags;
	refused("getnameinfo");
	return EAI_FAIL;
}

struct hostent *__wrap_gethostbyname(const char *name)
{
	(void)name;
	refused("gethostbyname");
	h_errno = NO_RECOVERY;
	return NULL;
}

struct servent *__wrap_getservbyname(const char *name, const char *proto)
{
	(void)name;
	(void)proto;
	refused("getservbyname");
	return NULL;
}

int __wrap_getservbyport_r(int port, const char *proto, struct servent *result_buf, char *buf,
			   size_t buflen, struct servent **result)
{
	(void)port;
	(void)proto;
	(void)result_buf;
	(void)buf;
	(void)buflen;
	*result = NULL;
	refused("getservbyport_r");
	return ENOENT;
}

int __wrap_getpwuid_r(uid_t uid, struct passwd *pwd, char *buf, size_t buflen,
		      struct passwd **result)
{
	(void)uid;
	(void)pwd;
	(void)buf;
	(void)buflen;
	*result = NULL;
	refused("getpwuid_r");
	return ENOENT;
}

void *__wrap_dlopen(const char *filename, int flags)
{
	(void)filename;
	(void)flags;
	refused("dlopen");
	return NULL;
}

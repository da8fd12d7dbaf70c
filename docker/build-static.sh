#!/usr/bin/env bash
# Builds a fully static etcd-init on Debian 12 (as root), the one recipe for the host
# (the tests, the benchmark) and for docker/Dockerfile's builder stage.
#
#   docker/build-static.sh deps PREFIX          the static libraries below, into PREFIX
#   docker/build-static.sh build SRC OUT PREFIX etcd-init from SRC, static, in OUT
#                                               (the binary: OUT/cmd/etcd-init)
#   docker/build-static.sh all SRC OUT PREFIX   both
#
# What links statically, and from where:
#  - c-ares, json-c, OpenSSL, nghttp2, nettle/hogweed, GMP, libmicrohttpd: the .a files
#    of Debian 12's -dev packages;
#  - libcurl: Debian's libcurl.a cannot be linked statically (it needs Kerberos, LDAP,
#    librtmp, libssh2... archives Debian does not ship), so curl is built here from
#    Debian 12's own source package with only what etcd-init uses: HTTP and HTTPS,
#    OpenSSL, HTTP/2 (nghttp2, for gRPC) and the c-ares resolver (a static glibc must
#    never reach getaddrinfo: NSS cannot load there);
#  - GnuTLS (libmicrohttpd's TLS, for the status server): Debian's libgnutls.a needs
#    p11-kit, which has no static library, so GnuTLS is built from Debian 12's source
#    package without p11-kit (PKCS#11 tokens are not used: the certificates are files).
# The source packages come through the machine's own apt sources (a deb-src entry for
# the same archive, in a private apt directory under PREFIX); nothing is downloaded
# from anywhere else. PREFIX is a cache: what is built there is reused.
# Logs go to PREFIX/build.log; one line per step on stderr.
set -euo pipefail

packages=(build-essential pkg-config meson ninja-build dpkg-dev xz-utils ca-certificates
	autoconf automake libtool autopoint gettext bison gperf libc-ares-dev libjson-c-dev libssl-dev libnghttp2-dev libmicrohttpd-dev nettle-dev
	libgmp-dev)
curl_version=7.88.1
gnutls_version=3.7.9

say() { printf 'build-static: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# apt_private PREFIX: apt options for a private source list holding deb-src entries for
# the archive this machine already uses (its Debian 12 suites).
apt_private()
{
	local work=$1/apt uri
	mkdir -p "$work/lists/partial" "$work/archives/partial"
	uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[[ -n $uri ]] || uri=$(awk '/^deb / && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	[[ -n $uri ]] || die "no Debian archive in /etc/apt/sources.list{,.d/debian.sources}"
	printf 'deb-src %s bookworm main\ndeb-src %s bookworm-updates main\n' "$uri" "$uri" >"$work/sources.list"
	apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives"
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root)
}

install_packages()
{
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	say "installing ${#missing[@]} packages (${missing[*]})"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >>"$log" 2>&1
	apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
		die "apt-get install failed: see $log"
}

# source_tree PREFIX PACKAGE VERSION: Debian 12's source of PACKAGE, unpacked once into
# PREFIX/src/PACKAGE-VERSION (Debian's patches applied); prints that directory.
source_tree()
{
	local prefix=$1 pkg=$2 dir=$1/src/$2-$3
	if [[ ! -f $dir/.unpacked ]]; then
		say "fetching Debian 12's source of $pkg"
		apt_private "$prefix"
		apt-get "${apt_opts[@]}" update -q >>"$log" 2>&1 || die "apt-get update (deb-src) failed: see $log"
		rm -rf "$prefix/src/$pkg" "$dir" && mkdir -p "$prefix/src/$pkg"
		(cd "$prefix/src/$pkg" && apt-get "${apt_opts[@]}" source --download-only "$pkg" >>"$log" 2>&1) ||
			die "apt-get source $pkg failed: see $log"
		dpkg-source -x "$prefix/src/$pkg"/*.dsc "$dir" >>"$log" 2>&1 || die "dpkg-source -x $pkg failed: see $log"
		touch "$dir/.unpacked"
	fi
	printf '%s\n' "$dir"
}

build_gnutls()
{
	local prefix=$1 src
	[[ ! -f $prefix/lib/libgnutls.a ]] || return 0
	src=$(source_tree "$prefix" gnutls28 "$gnutls_version")
	say "building GnuTLS $gnutls_version (static, without p11-kit; a few minutes)"
	(
		cd "$src"
		# As Debian's rules do: its patches touch configure.ac and Makefile.am.
		grep -rl gettext-0.20 m4/ | xargs -r rm -f
		GTKDOCIZE="echo DISABLED running gtkdocize" autoreconf -fi
		./configure --prefix="$prefix" --libdir="$prefix/lib" --enable-static --disable-shared \
			--without-p11-kit --without-tpm --without-tpm2 --without-idn --without-brotli \
			--without-zstd --without-zlib --with-included-unistring --with-included-libtasn1 \
			--disable-doc --disable-manpages --disable-tools --disable-tests --disable-cxx \
			--disable-guile --disable-nls --disable-libdane --disable-openssl-compatibility \
			--disable-hardware-acceleration --with-default-trust-store-file= \
			--with-system-priority-file= --disable-full-test-suite
		make -j"$(nproc)"
		make install
	) >>"$log" 2>&1 || die "building GnuTLS failed: see $log"
}

build_curl()
{
	local prefix=$1 src
	[[ ! -f $prefix/lib/libcurl.a ]] || return 0
	rm -rf "$prefix/src/curl-$curl_version" "$prefix"/lib/libcurl-*
	src=$(source_tree "$prefix" curl "$curl_version")
	say "building libcurl $curl_version (static: HTTP(S), OpenSSL, HTTP/2, c-ares)"
	(
		cd "$src"
		# Debian's OpenSSL flavour is its source without the last two patches of the
		# series (they make the GnuTLS and NSS flavours: debian/rules).
		if [[ ! -f .openssl-flavour ]]; then
			patch -R -p1 -s <debian/patches/99_nss.patch
			patch -R -p1 -s <debian/patches/90_gnutls.patch
			touch .openssl-flavour
		fi
		autoreconf -fi
		./configure --prefix="$prefix" --libdir="$prefix/lib" --enable-static --disable-shared \
			--with-openssl --with-nghttp2 --enable-ares --without-zlib --without-brotli \
			--without-zstd --without-libpsl --without-libidn2 --without-libssh2 --without-librtmp \
			--without-gssapi --without-ca-bundle --without-ca-path --without-ca-fallback \
			--disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet \
			--disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
			--disable-gopher --disable-mqtt --disable-ftp --disable-file --disable-manual \
			--disable-ntlm --disable-ntlm-wb --disable-kerberos-auth --disable-negotiate-auth \
			--disable-cookies --disable-netrc --disable-alt-svc --disable-hsts --disable-doh \
			--disable-unix-sockets --disable-progress-meter --disable-dateparse
		make -j"$(nproc)" -C lib
		make -C lib install
		make -C include install
		make install-pkgconfigDATA
	) >>"$log" 2>&1 || die "building libcurl failed: see $log"
}

deps()
{
	local prefix=$1
	mkdir -p "$prefix"
	log=$prefix/build.log
	install_packages
	build_gnutls "$prefix"
	build_curl "$prefix"
}

build()
{
	local src=$1 out=$2 prefix=$3
	mkdir -p "$prefix"
	log=$prefix/build.log
	[[ -f $prefix/lib/libcurl.a && -f $prefix/lib/libgnutls.a ]] ||
		die "no static libcurl/GnuTLS in $prefix: run '$0 deps $prefix' first"
	say "building etcd-init (static) in $out"
	log=$prefix/build-etcd-init.log
	: >"$log"
	export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
	if [[ ! -f $out/build.ninja ]]; then
		meson setup "$out" "$src" -Dstatic=true -Dbuildtype=release -Dwerror=true >>"$log" 2>&1 ||
			die "meson setup failed: see $log"
	fi
	meson compile -C "$out" cmd/etcd-init:executable >>"$log" 2>&1 || die "the static build failed: see $log"
	# A static glibc binary must not reach NSS: lib/nonss.c takes the calls that the
	# libraries carry, so the linker has no "Using 'X' in statically linked
	# applications" warning left to print. One means a new caller: refuse the binary.
	if grep -h "in statically linked applications" "$log" | sort -u | grep . >&2; then
		rm -f "$out/cmd/etcd-init"
		die "the static binary would call NSS functions (above): wrap them in lib/nonss.c"
	fi
	[[ $(ldd "$out/cmd/etcd-init" 2>&1 || true) == *"not a dynamic executable"* ]] ||
		die "$out/cmd/etcd-init is not static"
	say "built $out/cmd/etcd-init ($(stat -c %s "$out/cmd/etcd-init") bytes, static)"
}

case ${1:-} in
deps) [[ $# -eq 2 ]] || die "usage: $0 deps PREFIX"; deps "$2" ;;
build) [[ $# -eq 4 ]] || die "usage: $0 build SRC OUT PREFIX"; build "$2" "$3" "$4" ;;
all) [[ $# -eq 4 ]] || die "usage: $0 all SRC OUT PREFIX"; deps "$4"; build "$2" "$3" "$4" ;;
*) die "usage: $0 deps PREFIX | build SRC OUT PREFIX | all SRC OUT PREFIX" ;;
esac

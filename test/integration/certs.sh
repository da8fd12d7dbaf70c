# shellcheck shell=bash
# Test certificates made with the openssl command line (sourced after lib.sh): a CA per
# call of ca_make, and leaf certificates with chosen SANs, extended key usages and
# validity dates, issued with `openssl ca` (it alone sets any start and end date).

# ca_make DIR NAME: DIR/NAME.crt and DIR/NAME.key (EC P-256), and NAME's CA database.
ca_make()
{
	local dir=$1 name=$2
	mkdir -p "$dir/$name.db/new"
	: >"$dir/$name.db/index.txt"
	echo 1000 >"$dir/$name.db/serial"
	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout "$dir/$name.key" -out "$dir/$name.crt" -days 3650 -subj "/CN=$name test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		2>/dev/null
}

# cert_make DIR NAME CA SANS EKU [START END] [CN]: DIR/NAME.crt and .key signed by DIR/CA.
# SANS: "DNS:a,IP:1.2.3.4"; EKU: "serverAuth,clientAuth" or "" for no EKU extension;
# START/END: YYYYMMDDHHMMSSZ (default: yesterday, +1 year); CN: "" for none.
cert_make()
{
	local dir=$1 name=$2 ca=$3 sans=$4 eku=$5 start=${6:-} end=${7:-} cn=${8-$2}
	local cnf=$dir/$name.cnf subj=/
	[[ -n $start ]] || start=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
	[[ -n $end ]] || end=$(date -u -d '+365 days' +%Y%m%d%H%M%SZ)
	[[ -n $cn ]] && subj="/CN=$cn"
	cat >"$cnf" <<-CNF
		[ca]
		default_ca = testca
		[testca]
		database = $dir/$ca.db/index.txt
		serial = $dir/$ca.db/serial
		new_certs_dir = $dir/$ca.db/new
		default_md = sha256
		policy = anything
		unique_subject = no
		copy_extensions = none
		[anything]
		commonName = optional
		[ext]
		basicConstraints = CA:FALSE
		keyUsage = critical,digitalSignature,keyEncipherment
		subjectAltName = $sans
	CNF
	[[ -n $eku ]] && echo "extendedKeyUsage = $eku" >>"$cnf"
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "$subj" 2>/dev/null &&
		openssl ca -batch -config "$cnf" -extensions ext -cert "$dir/$ca.crt" \
			-keyfile "$dir/$ca.key" -in "$dir/$name.csr" -out "$dir/$name.crt" \
			-startdate "$start" -enddate "$end" -notext >/dev/null 2>&1
}

# member_sans N: every name pod N advertises or is reached by: the canonical FQDN, the
# official manifest's short name <pod>.<service>, and its IP (etcdctl from the host).
member_sans()
{
	printf 'DNS:%s,DNS:%s.%s,IP:%s\n' "$(pod_fqdn "$1")" "$(pod_name "$1")" "$EI_SERVICE" \
		"$(pod_ip "$1")"
}

# member_certs DIR CA N: server-N and peer-N for pod N (both usages), signed by CA.
member_certs()
{
	local dir=$1 ca=$2 n=$3
	cert_make "$dir" "server-$n" "$ca" "$(member_sans "$n")" serverAuth,clientAuth &&
		cert_make "$dir" "peer-$n" "$ca" "$(member_sans "$n")" serverAuth,clientAuth
}

# make_test_pki COUNT: in $C, the CA "ca", server-N and peer-N for pods 0..COUNT-1, and a
# client certificate without a CN (etcd's gateway refuses a CN when auth is on, §1.6).
make_test_pki()
{
	local n
	ca_make "$C" ca || return 1
	for ((n = 0; n < $1; n++)); do member_certs "$C" ca "$n" || return 1; done
	cert_make "$C" client ca "DNS:client" clientAuth "" "" ""
}

# mtls_env N: the official manifest's variables plus etcd's own TLS settings for pod N
# (client and peer mTLS; the certificates in $C). EI_TLS_MODE=client or peer keeps one
# side only.
mtls_env()
{
	local mode=${EI_TLS_MODE:-both}
	echo URI_SCHEME=https
	[[ $mode == peer ]] || printf '%s\n' "ETCD_CERT_FILE=$C/server-$1.crt" \
		"ETCD_KEY_FILE=$C/server-$1.key" "ETCD_TRUSTED_CA_FILE=$C/ca.crt" \
		ETCD_CLIENT_CERT_AUTH=true "ETCDCTL_CACERT=$C/ca.crt" "ETCDCTL_CERT=$C/client.crt" \
		"ETCDCTL_KEY=$C/client.key"
	[[ $mode == client ]] || printf '%s\n' "ETCD_PEER_CERT_FILE=$C/peer-$1.crt" \
		"ETCD_PEER_KEY_FILE=$C/peer-$1.key" "ETCD_PEER_TRUSTED_CA_FILE=$C/ca.crt" \
		ETCD_PEER_CLIENT_CERT_AUTH=true
}

# ectl_tls: etcdctl (lib.sh's ectl) over https with the test client certificate.
# shellcheck disable=SC2034 # read by lib.sh's ectl
ectl_tls()
{
	EI_CLIENT_SCHEME=https
	EI_ECTL_ARGS=(--cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key")
}

# use_mtls COUNT: the test PKI for pods 0..COUNT-1 in C=$EI_RUN/certs, every pod
# launched with mtls_env, and etcdctl over https (bails out when openssl fails).
# shellcheck disable=SC2034 # read by scenario-lib.sh's launch
use_mtls()
{
	C=$EI_RUN/certs
	make_test_pki "$1" || bail_out "cannot make the test certificates"
	EI_LAUNCH_ENV=mtls_env
	ectl_tls
}

/* preflight.h - which certificates etcd-init checks before any membership change, and
 * against which names and usages (the checks themselves are tlscheck.h's):
 *  - the server certificate (ETCD_CERT_FILE): the names of its client URLs, serverAuth,
 *    and clientAuth when client certificates are required (etcd's gateway dials etcd
 *    with the server certificate as its client certificate, server/embed/etcd.go
 *    grpcGatewayDial); its chain
 *    against ETCDCTL_CACERT (the CA etcd-init and etcdctl verify it with, by default
 *    ETCD_TRUSTED_CA_FILE), and against ETCD_TRUSTED_CA_FILE too when client
 *    certificates are required and the two differ;
 *  - the peer certificate (ETCD_PEER_CERT_FILE): the names of its peer URL, serverAuth
 *    and clientAuth (peers dial each other with it, and etcd-init fetches the status
 *    with it), its chain against ETCD_PEER_TRUSTED_CA_FILE;
 *  - etcd-init's own client certificate (ETCDCTL_CERT, when it is not the server's):
 *    clientAuth, its chain against ETCD_TRUSTED_CA_FILE when client certificates are
 *    required.
 * The names a member advertises: its canonical FQDN, any host in the advertise URLs the
 * user set (ETCD_ADVERTISE_CLIENT_URLS or --advertise-client-urls after --), and the
 * short name <pod>.<service> that the official manifest uses in its URLs. */
#ifndef EI_PREFLIGHT_H
#define EI_PREFLIGHT_H

#include <time.h>

#include "config.h"
#include "err.h"
#include "tlscheck.h"

/* Run every check that applies to cfg at time now into out (empty without TLS).
 * envp: for the user's advertise URLs. Returns 0 (whatever the findings), EI_E_NOMEM. */
int ei_preflight_run(const struct ei_config *cfg, char **envp, time_t now,
		     struct ei_tls_report *out, struct ei_err *err);

/* The pre-flight of `run` and `plan`, before anything else: a certificate that etcd or
 * its peers will reject fails later with a cryptic handshake error, after a membership
 * change. Runs ei_preflight_run now and logs every finding (a passing one at debug
 * level). Returns 0, EI_E_USAGE naming how many checks failed and the first (exit 2),
 * or EI_E_NOMEM. */
int ei_preflight_check(const struct ei_config *cfg, char **envp, struct ei_err *err);

#endif

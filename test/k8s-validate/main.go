// k8s-validate renders kustomizations the way `kubectl apply -k` does (kustomize's
// krusty) and decodes every object strictly into the Kubernetes API's own Go types
// (k8s.io/api) and cert-manager's (its Certificate and Issuer types): an unknown or
// misspelt field, a wrong type or an unknown kind is an error. Then it checks what
// etcd-init needs of the manifests: the set, its service, the probes that must not kill
// a waiting pod, the preStop hook and its RBAC, the disruption budget, and, for TLS,
// certificates whose dnsNames cover every name etcd-init advertises and checks.
//
// Usage:
//
//	k8s-validate DIR...        one line per check, "ok" or "not ok" (TAP)
//	k8s-validate --sans DIR    each Certificate's secret and SANs, one a line
package main

import (
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

type objects struct {
	sets      []appsv1.StatefulSet
	services  []corev1.Service
	accounts  []corev1.ServiceAccount
	pdbs      []policyv1.PodDisruptionBudget
	roles     []rbacv1.Role
	bindings  []rbacv1.RoleBinding
	certs     []cmv1.Certificate
	issuers   []cmv1.Issuer
	namespace string
}

var n, failed int

func check(ok bool, format string, args ...any) {
	n++
	if !ok {
		failed++
		fmt.Print("not ")
	}
	fmt.Printf("ok %d - %s\n", n, fmt.Sprintf(format, args...))
}

// into decodes data strictly into a new T and appends it to list.
func into[T any](list *[]T, data []byte) error {
	var v T
	if err := yaml.UnmarshalStrict(data, &v); err != nil {
		return err
	}
	*list = append(*list, v)
	return nil
}

// decode puts one rendered object into its Go type, strictly.
func decode(o *objects, apiVersion, kind string, data []byte) error {
	switch apiVersion + "/" + kind {
	case "apps/v1/StatefulSet":
		return into(&o.sets, data)
	case "v1/Service":
		return into(&o.services, data)
	case "v1/ServiceAccount":
		return into(&o.accounts, data)
	case "policy/v1/PodDisruptionBudget":
		return into(&o.pdbs, data)
	case "rbac.authorization.k8s.io/v1/Role":
		return into(&o.roles, data)
	case "rbac.authorization.k8s.io/v1/RoleBinding":
		return into(&o.bindings, data)
	case "cert-manager.io/v1/Certificate":
		return into(&o.certs, data)
	case "cert-manager.io/v1/Issuer":
		return into(&o.issuers, data)
	}
	return fmt.Errorf("%s %s: a kind this check does not know", apiVersion, kind)
}

func render(dir string) (*objects, bool) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	check(err == nil, "%s: kustomize renders it (%v)", dir, err)
	if err != nil {
		return nil, false
	}
	o := &objects{namespace: "default"}
	for _, r := range m.Resources() {
		data, err := r.AsYAML()
		if err == nil {
			err = decode(o, r.GetApiVersion(), r.GetKind(), data)
		}
		check(err == nil, "%s: %s %s decodes strictly (%v)", dir, r.GetKind(), r.GetName(), err)
		if r.GetNamespace() != "" {
			o.namespace = r.GetNamespace()
		}
	}
	return o, true
}

func env(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// argValue finds --name=value among args.
func argValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// covers: does a certificate's dnsNames cover host? As OpenSSL's X509_check_host,
// which etcd-init's pre-flight uses: a "*." wildcard stands for the leftmost label only,
// and only before at least two more labels ("*.etcd" covers nothing).
func covers(names []string, host string) bool {
	for _, d := range names {
		if d == host {
			return true
		}
		if rest, ok := strings.CutPrefix(d, "*."); ok && strings.Contains(rest, ".") {
			if i := strings.IndexByte(host, '.'); i > 0 && host[i+1:] == rest {
				return true
			}
		}
	}
	return false
}

// printSANs prints, for each Certificate, its secret's name and its SANs as openssl's
// subjectAltName takes them ("etcd-server-tls DNS:a,DNS:b,IP:127.0.0.1"), for the lint
// test to issue look-alike certificates and run etcd-init's own pre-flight on them.
func printSANsTo(out *os.File, dir string) {
	o, ok := render(dir)
	if !ok {
		os.Exit(1)
	}
	for _, c := range o.certs {
		var sans []string
		for _, d := range c.Spec.DNSNames {
			sans = append(sans, "DNS:"+d)
		}
		for _, ip := range c.Spec.IPAddresses {
			sans = append(sans, "IP:"+ip)
		}
		if len(sans) > 0 {
			fmt.Fprintf(out, "%s %s\n", c.Spec.SecretName, strings.Join(sans, ","))
		}
	}
}

func validate(dir string, tls bool) {
	o, ok := render(dir)
	if !ok {
		return
	}
	check(len(o.sets) == 1 && len(o.services) == 1, "%s: one StatefulSet and one Service", dir)
	if len(o.sets) != 1 || len(o.services) != 1 {
		return
	}
	set, svc := &o.sets[0], &o.services[0]
	spec := &set.Spec.Template.Spec
	check(len(spec.Containers) == 1, "%s: one container", dir)
	if len(spec.Containers) != 1 {
		return
	}
	c := &spec.Containers[0]

	// The service.
	check(svc.Spec.ClusterIP == "None", "%s: the service is headless", dir)
	check(svc.Spec.PublishNotReadyAddresses, "%s: the service publishes not-ready addresses", dir)
	check(set.Spec.ServiceName == svc.Name, "%s: the set's serviceName is the service", dir)
	ports := map[string]int32{}
	for _, p := range svc.Spec.Ports {
		ports[p.Name] = p.Port
	}
	check(ports["etcd-client"] == 2379 && ports["etcd-server"] == 2380 && ports["etcd-metrics"] == 8080,
		"%s: the service's named ports (etcd-client, etcd-server, etcd-metrics)", dir)
	selects := true
	for k, v := range svc.Spec.Selector {
		selects = selects && set.Spec.Template.Labels[k] == v
	}
	check(selects && len(svc.Spec.Selector) > 0, "%s: the service selects the set's pods", dir)

	// The set and etcd-init.
	check(set.Spec.PodManagementPolicy == appsv1.ParallelPodManagement, "%s: podManagementPolicy Parallel", dir)
	check(spec.Affinity != nil && spec.Affinity.PodAntiAffinity != nil &&
		len(spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0,
		"%s: pod anti-affinity", dir)
	check(len(c.Command) == 1 && path.Base(c.Command[0]) == "etcd-init", "%s: etcd-init is the command", dir)
	for _, v := range []string{"K8S_NAMESPACE", "HOSTNAME", "SERVICE_NAME", "URI_SCHEME"} {
		found := false
		for _, e := range c.Env {
			found = found || e.Name == v
		}
		check(found, "%s: the official manifest's %s", dir, v)
	}
	check(env(c, "SERVICE_NAME") == svc.Name, "%s: SERVICE_NAME is the service", dir)
	size, _ := strconv.Atoi(argValue(c.Args, "--initial-cluster-size"))
	check(size > 0 && set.Spec.Replicas != nil && int(*set.Spec.Replicas) == size,
		"%s: --initial-cluster-size matches replicas", dir)

	// Probes: etcd's own, on the plain-HTTP metrics port. While etcd-init waits it
	// answers /livez there itself (200: alive) and /readyz 503, so no startup probe is
	// needed to keep a waiting pod alive, and none may delay Ready after etcd serves.
	// The wait has no end (0): a pod that gave up would come back only after the
	// kubelet's back-off, later than the peer it waited for.
	check(argValue(c.Args, "--wait-timeout") == "0", "%s: --wait-timeout=0 (wait as long as it takes)", dir)
	check(argValue(c.Args, "--metrics-port") == "" && env(c, "ETCD_LISTEN_METRICS_URLS") == "",
		"%s: etcd-init sets the metrics URL (port 8080), so it answers the probes while it waits", dir)
	lp, rp := c.LivenessProbe, c.ReadinessProbe
	check(c.StartupProbe == nil, "%s: no startup probe (etcd-init answers /livez while it waits)", dir)
	check(lp != nil && lp.HTTPGet != nil && rp != nil && rp.HTTPGet != nil,
		"%s: liveness and readiness probes over HTTP", dir)
	if lp != nil && lp.HTTPGet != nil && rp != nil && rp.HTTPGet != nil {
		onMetrics := true
		for _, p := range []*corev1.Probe{lp, rp} {
			onMetrics = onMetrics && (p.HTTPGet.Port.String() == "etcd-metrics" || p.HTTPGet.Port.IntValue() == 8080) &&
				p.HTTPGet.Scheme != corev1.URISchemeHTTPS
		}
		check(onMetrics, "%s: every probe on the plain-HTTP metrics port", dir)
		check(lp.HTTPGet.Path == "/livez" && rp.HTTPGet.Path == "/readyz", "%s: /livez and /readyz", dir)
		check(rp.PeriodSeconds > 0 && rp.PeriodSeconds <= 2,
			"%s: readiness every 2 s at most (Ready soon after etcd serves)", dir)
	}
	check(env(c, "ETCDCTL_ENDPOINTS") == "",
		"%s: no ETCDCTL_ENDPOINTS (etcdctl 3.6 then refuses --endpoints; its default 127.0.0.1:2379 is this pod)", dir)

	// leave: the preStop hook, its service account, and get on this set.
	pre := c.Lifecycle
	check(pre != nil && pre.PreStop != nil && pre.PreStop.Exec != nil &&
		len(pre.PreStop.Exec.Command) == 2 && path.Base(pre.PreStop.Exec.Command[0]) == "etcd-init" &&
		pre.PreStop.Exec.Command[1] == "leave", "%s: preStop runs etcd-init leave", dir)
	check(spec.TerminationGracePeriodSeconds != nil && *spec.TerminationGracePeriodSeconds > 60,
		"%s: the grace period holds leave's 60 s", dir)
	check(len(o.accounts) == 1 && spec.ServiceAccountName == o.accounts[0].Name,
		"%s: the pods run as the shipped service account", dir)
	granted := false
	for _, b := range o.bindings {
		bound := false
		for _, s := range b.Subjects {
			bound = bound || (s.Kind == "ServiceAccount" && s.Name == spec.ServiceAccountName)
		}
		for _, r := range o.roles {
			if !bound || b.RoleRef.Kind != "Role" || b.RoleRef.Name != r.Name {
				continue
			}
			for _, rule := range r.Rules {
				names := len(rule.ResourceNames) == 0
				for _, rn := range rule.ResourceNames {
					names = names || rn == set.Name
				}
				granted = granted || (contains(rule.APIGroups, "apps") && contains(rule.Resources, "statefulsets") &&
					contains(rule.Verbs, "get") && names)
			}
		}
	}
	check(granted, "%s: the service account may get statefulset %s", dir, set.Name)
	check(len(o.pdbs) == 1 && o.pdbs[0].Spec.MaxUnavailable != nil && o.pdbs[0].Spec.MaxUnavailable.IntValue() == 1,
		"%s: a PodDisruptionBudget with maxUnavailable 1", dir)

	if !tls {
		check(len(o.certs) == 0 && env(c, "URI_SCHEME") == "http", "%s: plain HTTP, no certificates", dir)
		return
	}
	// TLS: each certificate file etcd-init is given lies in a mounted secret that a
	// Certificate fills, and that certificate covers every name of every member.
	mounts := map[string]string{} // mount path -> secret name
	for _, m := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.Secret != nil {
				mounts[m.MountPath] = v.Secret.SecretName
			}
		}
	}
	bySecret := map[string]*cmv1.Certificate{}
	for i := range o.certs {
		bySecret[o.certs[i].Spec.SecretName] = &o.certs[i]
	}
	check(env(c, "URI_SCHEME") == "https", "%s: URI_SCHEME https", dir)
	for _, v := range []string{"ETCD_CERT_FILE", "ETCD_PEER_CERT_FILE", "ETCDCTL_CERT"} {
		file := env(c, v)
		cert := bySecret[mounts[path.Dir(file)]]
		check(cert != nil && path.Base(file) == "tls.crt", "%s: %s (%s) is a cert-manager Certificate's tls.crt", dir, v, file)
		if cert == nil || v == "ETCDCTL_CERT" {
			continue
		}
		usages := map[cmv1.KeyUsage]bool{}
		for _, u := range cert.Spec.Usages {
			usages[u] = true
		}
		check(usages[cmv1.UsageServerAuth] && usages[cmv1.UsageClientAuth],
			"%s: %s has server auth and client auth", dir, cert.Name)
		domain := "cluster.local"
		for i := 0; i < 5; i++ {
			pod := fmt.Sprintf("%s-%d", set.Name, i)
			for _, host := range []string{
				fmt.Sprintf("%s.%s.%s.svc.%s", pod, svc.Name, o.namespace, domain), // canonical
				fmt.Sprintf("%s.%s", pod, svc.Name),                                // the official manifest's
			} {
				check(covers(cert.Spec.DNSNames, host), "%s: %s covers %s", dir, cert.Name, host)
			}
		}
	}
	for _, v := range []string{"ETCD_TRUSTED_CA_FILE", "ETCD_PEER_TRUSTED_CA_FILE", "ETCDCTL_CACERT", "ETCD_KEY_FILE",
		"ETCD_PEER_KEY_FILE", "ETCDCTL_KEY"} {
		file := env(c, v)
		check(bySecret[mounts[path.Dir(file)]] != nil, "%s: %s (%s) is in a Certificate's secret", dir, v, file)
	}
	issuers := map[string]bool{}
	for _, i := range o.issuers {
		issuers[i.Name] = true
	}
	for _, cert := range o.certs {
		check(cert.Spec.IssuerRef.Kind == "Issuer" && issuers[cert.Spec.IssuerRef.Name],
			"%s: certificate %s's issuer %s is shipped", dir, cert.Name, cert.Spec.IssuerRef.Name)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: k8s-validate DIR [DIR/tls]... | k8s-validate --sans DIR")
		os.Exit(2)
	}
	if os.Args[1] == "--sans" && len(os.Args) == 3 {
		// render's own check lines go to stderr here: stdout is the SAN list.
		stdout := os.Stdout
		os.Stdout = os.Stderr
		defer func() { os.Stdout = stdout }()
		printSANsTo(stdout, os.Args[2])
		return
	}
	for _, dir := range os.Args[1:] {
		validate(dir, path.Base(dir) == "tls")
	}
	fmt.Printf("1..%d\n", n)
	if failed > 0 {
		os.Exit(1)
	}
}

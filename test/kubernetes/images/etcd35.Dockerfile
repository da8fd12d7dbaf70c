# A stand-in for an etcd 3.5 release image (no registry here): Debian 12 with the etcd
# and etcdctl 3.5 that test/setup.sh unpacks from Debian trixie's etcd packages (Go
# binaries linked against glibc >= 2.34: bookworm's 2.36 runs them) in /usr/local/bin,
# the layout docker/Dockerfile's "debian" target copies from ETCD_IMAGE.
# Built by test/kubernetes/images.sh from a context holding only etcd and etcdctl.
ARG DEBIAN_IMAGE=etcd-init-base/debian:bookworm
FROM ${DEBIAN_IMAGE}
COPY etcd etcdctl /usr/local/bin/
WORKDIR /var/lib/etcd/
EXPOSE 2379 2380
CMD ["/usr/local/bin/etcd"]

/* grpc-paths.h - the gateway paths of lib/grpc.c's method table, for the gRPC and
 * protobuf targets (the table itself is static in grpc.c; ei_grpc_method_for finds each
 * entry, and a path it does not know is skipped). */
#ifndef EI_FUZZ_GRPC_PATHS_H
#define EI_FUZZ_GRPC_PATHS_H

static const char *const fuzz_grpc_paths[] = {
    "/v3/cluster/member/list",	  "/v3/cluster/member/add", "/v3/cluster/member/remove",
    "/v3/cluster/member/promote", "/v3/maintenance/status", "/v3/auth/authenticate",
};

#define FUZZ_GRPC_N_PATHS (sizeof(fuzz_grpc_paths) / sizeof(fuzz_grpc_paths[0]))

#endif

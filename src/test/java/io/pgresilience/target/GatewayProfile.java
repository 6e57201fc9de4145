package io.pgresilience.target;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a gateway's HTTP API: paths, body envelopes and how health is asked. The features and steps
 * are the same for every gateway; only the profile differs (SPEC §6).
 */
public record GatewayProfile(
        String name,
        String readinessPath,
        String livenessPath,
        String serversPath,
        String toolsPath,
        String serverEnvelope,
        String toolEnvelope,
        String bulkUpdatePath,
        String poolStatsPath,
        String serversTable,
        String toolsTable,
        Map<String, String> listQuery,
        String serverToolsTable) {

    public static final GatewayProfile REFERENCE = new GatewayProfile("reference", "/health/ready", "/health",
            "/api/servers", "/api/tools", null, null, "/api/servers/bulk-update", "/health/pool", "servers", "tools", Map.of(),
            "tools");

    /** ContextForge 1.x: lists are paged (50) unless limit=0; a server's tools are rows of server_tool_association. */
    public static final GatewayProfile CONTEXTFORGE = new GatewayProfile("contextforge", "/ready", "/health",
            "/v1/servers", "/v1/tools", "server", "tool", null, null, "servers", "tools", Map.of("limit", "0"),
            "server_tool_association");

    public static GatewayProfile named(String name) {
        return switch (name) {
            case "reference" -> REFERENCE;
            case "contextforge" -> CONTEXTFORGE;
            default -> throw new IllegalArgumentException("unknown gateway profile '" + name
                    + "' (known: reference, contextforge)");
        };
    }

    public Object serverBody(String serverName, List<String> toolNames) {
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("name", serverName);
        server.put("description", "created by pg-resilience");
        if (!toolNames.isEmpty()) {
            server.put("tools", toolNames.stream().map(t -> Map.of("name", t, "url", "https://example.com/" + t)).toList());
        }
        return serverEnvelope == null ? server : Map.of(serverEnvelope, server);
    }

    /** ContextForge's way to write a server with its tools in one call: the tools exist, the server names their ids. */
    public Object serverWithToolIdsBody(String serverName, List<String> toolIds) {
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("name", serverName);
        server.put("description", "created by pg-resilience");
        server.put("associated_tools", toolIds);
        return serverEnvelope == null ? server : Map.of(serverEnvelope, server);
    }

    public Object toolBody(String toolName) {
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", toolName);
        tool.put("url", "https://example.com/" + toolName);
        if (toolEnvelope != null) {
            tool.put("integration_type", "REST");
            tool.put("request_type", "GET");
            return Map.of(toolEnvelope, tool);
        }
        return tool;
    }

    public Object bulkUpdateBody(List<String> serverNames, String description) {
        return Map.of("updates", serverNames.stream().map(n -> Map.of("name", n, "description", description)).toList());
    }
}

using Attest.Testing;
using YamlDotNet.RepresentationModel;

namespace Attest.Server.Tests.Deploy;

/// <summary>
/// deploy/helm/attest rendered with <see cref="HelmSubsetRenderer"/> (helm is not installable here) for the default
/// values and for the pull-secret, no-cert-manager variant; every rendered document must parse as YAML and be a
/// Kubernetes object with the fields the API server requires, and the webhook, RBAC and Deployment must say what
/// the chart promises.
/// </summary>
public sealed class HelmChartTests
{
    private const string Release = "attest";
    private const string Namespace = "attest-system";
    private static readonly string Chart = Path.Combine(RepositoryPaths.Root, "deploy", "helm", "attest");

    internal static List<YamlMappingNode> Render(string overrides)
    {
        var defaults = LoadMapping(File.ReadAllText(Path.Combine(Chart, "values.yaml")));
        var values = HelmSubsetRenderer.Merge(defaults, LoadMapping(overrides));
        var chart = LoadMapping(File.ReadAllText(Path.Combine(Chart, "Chart.yaml")));
        Assert.Equal("v2", Text(chart, "apiVersion"));
        Assert.Equal("attest", Text(chart, "name"));
        var renderer = new HelmSubsetRenderer(values, Release, Namespace, Text(chart, "appVersion"));

        var documents = new List<YamlMappingNode>();
        foreach (var template in Directory.GetFiles(Path.Combine(Chart, "templates"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var rendered = renderer.Render(File.ReadAllText(template), Path.GetFileName(template));
            var stream = new YamlStream();
            stream.Load(new StringReader(rendered));
            foreach (var document in stream.Documents)
            {
                if (document.RootNode is YamlScalarNode { Value: null or "" }) continue; // a template rendered empty
                var mapping = Assert.IsType<YamlMappingNode>(document.RootNode);
                Assert.False(string.IsNullOrEmpty(Text(mapping, "apiVersion")), $"{template}: no apiVersion");
                Assert.False(string.IsNullOrEmpty(Text(mapping, "kind")), $"{template}: no kind");
                Assert.False(string.IsNullOrEmpty(Text(mapping, "metadata", "name")), $"{template}: no metadata.name");
                documents.Add(mapping);
            }
        }
        return documents;
    }

    private static YamlMappingNode LoadMapping(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? new YamlMappingNode() : (YamlMappingNode)stream.Documents[0].RootNode;
    }

    internal static YamlNode? Get(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var next)) node = next;
            else if (node is YamlSequenceNode sequence && int.TryParse(key, out var index) && index < sequence.Children.Count) node = sequence.Children[index];
            else return null;
        }
        return node;
    }

    internal static string Text(YamlNode node, params string[] path) => (Get(node, path) as YamlScalarNode)?.Value ?? "";

    private static YamlMappingNode Single(List<YamlMappingNode> documents, string kind) => Assert.Single(documents, d => Text(d, "kind") == kind);

    private static List<string> Args(List<YamlMappingNode> documents) =>
        ((YamlSequenceNode)Get(Single(documents, "Deployment"), "spec", "template", "spec", "containers", "0", "args")!).Children
            .Select(a => ((YamlScalarNode)a).Value!).ToList();

    /// <summary>The resources every rule of a webhook configuration covers.</summary>
    private static List<string> RuleResources(YamlMappingNode configuration) =>
        ((YamlSequenceNode)Get(configuration, "webhooks", "0", "rules")!).Children
            .SelectMany(rule => ((YamlSequenceNode)Get(rule, "resources")!).Children.Select(r => ((YamlScalarNode)r).Value!)).ToList();

    [Fact]
    public void Both_webhooks_cover_ephemeral_containers_in_the_chart_and_in_the_raw_manifests()
    {
        // kubectl debug adds an ephemeral container through the pods/ephemeralcontainers subresource: unless the
        // mutating webhook sees it, its image is never pinned and the validating webhook denies it as not pinned.
        var raw = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(RepositoryPaths.Root, "deploy", "kubernetes", "webhooks.yaml"))) raw.Load(reader);
        var sources = new Dictionary<string, List<YamlMappingNode>>
        {
            ["helm"] = Render("policiesConfigMap: attest-policies"),
            ["deploy/kubernetes"] = [.. raw.Documents.Select(d => (YamlMappingNode)d.RootNode)],
        };
        foreach (var (source, documents) in sources)
            foreach (var kind in new[] { "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration" })
                Assert.True(RuleResources(Single(documents, kind)).Contains("pods/ephemeralcontainers"), $"{source} {kind} does not cover pods/ephemeralcontainers");
    }

    [Fact]
    public void Default_values_render_the_service_with_cert_manager_tls_and_fail_closed_webhooks()
    {
        var documents = Render("policiesConfigMap: attest-policies");
        Assert.Equal(
            ["Certificate", "Deployment", "Issuer", "MutatingWebhookConfiguration", "PersistentVolumeClaim", "Service", "ServiceAccount", "ValidatingWebhookConfiguration"],
            documents.Select(d => Text(d, "kind")).Order(StringComparer.Ordinal));
        DeploymentRules.AssertHardened(Single(documents, "Deployment"));
        Assert.Equal("Recreate", Text(Single(documents, "Deployment"), "spec", "strategy", "type"));
        foreach (var document in documents.Where(d => !Text(d, "kind").EndsWith("WebhookConfiguration", StringComparison.Ordinal)))
            Assert.Equal(Namespace, Text(document, "metadata", "namespace"));

        foreach (var kind in new[] { "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration" })
        {
            var configuration = Single(documents, kind);
            Assert.Equal($"{Namespace}/{Release}-tls", Text(configuration, "metadata", "annotations", "cert-manager.io/inject-ca-from"));
            var webhook = Get(configuration, "webhooks", "0")!;
            Assert.Equal("Fail", Text(webhook, "failurePolicy"));
            Assert.Equal("10", Text(webhook, "timeoutSeconds"));
            Assert.Equal(kind.StartsWith("Mutating", StringComparison.Ordinal) ? "None" : "NoneOnDryRun", Text(webhook, "sideEffects"));
            Assert.Equal(kind.StartsWith("Mutating", StringComparison.Ordinal) ? "/admission/mutate" : "/admission/validate", Text(webhook, "clientConfig", "service", "path"));
            Assert.Equal(Release, Text(webhook, "clientConfig", "service", "name"));
            Assert.Null(Get(webhook, "clientConfig", "caBundle"));
            DeploymentRules.AssertWebhookExclusions(webhook, Namespace, excludeKubeSystem: true);
        }
        Assert.Equal([$"{Release}.{Namespace}.svc", $"{Release}.{Namespace}.svc.cluster.local"],
            ((YamlSequenceNode)Get(Single(documents, "Certificate"), "spec", "dnsNames")!).Children.Select(n => ((YamlScalarNode)n).Value));

        var deployment = Single(documents, "Deployment");
        Assert.Equal("1", Text(deployment, "spec", "replicas"));
        Assert.Equal("false", Text(deployment, "spec", "template", "spec", "automountServiceAccountToken"));
        Assert.Equal("100m", Text(deployment, "spec", "template", "spec", "containers", "0", "resources", "requests", "cpu"));
        Assert.Equal("512Mi", Text(deployment, "spec", "template", "spec", "containers", "0", "resources", "limits", "memory"));
        Assert.Equal("attest:dev", Text(deployment, "spec", "template", "spec", "containers", "0", "image"));
        Assert.Equal("attest-policies", Text(deployment, "spec", "template", "spec", "volumes", "1", "configMap", "name"));
        var args = Args(documents);
        Assert.Contains("--Attest:Admission:TimeoutSeconds=8", args);
        Assert.DoesNotContain(args, a => a.Contains("PullSecrets", StringComparison.Ordinal) || a.Contains("Registries", StringComparison.Ordinal));
    }

    [Fact]
    public void Pull_secrets_add_read_only_RBAC_and_without_cert_manager_the_CA_bundle_comes_from_values()
    {
        var policy = File.ReadAllText(Path.Combine(RepositoryPaths.Policies, "example.yaml"));
        var documents = Render($$$"""
            replicas: 2
            pullSecrets: {enabled: true, cacheSeconds: 15}
            tls: {certManager: false, secretName: my-tls, caBundle: TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ==}
            registries: {dockerConfigSecret: regcred, caConfigMap: registry-ca, allowed: "ghcr.io,*.corp.example"}
            resources: {requests: {cpu: 250m, memory: 256Mi}}
            policies:
              example.yaml: |
            {{{string.Join("\n", policy.TrimEnd('\n').Split('\n').Select(l => "    " + l))}}}
            """);
        Assert.DoesNotContain(documents, d => Text(d, "kind") is "Certificate" or "Issuer");

        var role = Single(documents, "ClusterRole");
        var rule = Assert.Single(((YamlSequenceNode)Get(role, "rules")!).Children);
        Assert.Equal(["secrets", "serviceaccounts"], ((YamlSequenceNode)Get(rule, "resources")!).Children.Select(n => ((YamlScalarNode)n).Value));
        Assert.Equal(["get"], ((YamlSequenceNode)Get(rule, "verbs")!).Children.Select(n => ((YamlScalarNode)n).Value));
        var binding = Single(documents, "ClusterRoleBinding");
        Assert.Equal(Text(role, "metadata", "name"), Text(binding, "roleRef", "name"));
        Assert.Equal(Release, Text(binding, "subjects", "0", "name"));
        Assert.Equal(Namespace, Text(binding, "subjects", "0", "namespace"));

        foreach (var kind in new[] { "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration" })
        {
            var configuration = Single(documents, kind);
            Assert.Null(Get(configuration, "metadata", "annotations"));
            Assert.Equal("TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ==", Text(configuration, "webhooks", "0", "clientConfig", "caBundle"));
        }

        var configMap = Single(documents, "ConfigMap");
        Assert.Equal(policy.TrimEnd('\n'), Text(configMap, "data", "example.yaml").TrimEnd('\n'));
        var deployment = Single(documents, "Deployment");
        Assert.Equal("1", Text(deployment, "spec", "replicas")); // the sqlite ledger runs one replica whatever replicas says
        Assert.Equal("true", Text(deployment, "spec", "template", "spec", "automountServiceAccountToken"));
        Assert.Equal("250m", Text(deployment, "spec", "template", "spec", "containers", "0", "resources", "requests", "cpu"));
        Assert.Equal($"{Release}-policies", Text(deployment, "spec", "template", "spec", "volumes", "1", "configMap", "name"));
        Assert.Equal("my-tls", Text(deployment, "spec", "template", "spec", "volumes", "2", "secret", "secretName"));
        var args = Args(documents);
        Assert.Contains("--Attest:Admission:PullSecrets:Enabled=true", args);
        Assert.Contains("--Attest:Admission:PullSecrets:CacheSeconds=15", args);
        Assert.Contains("--Attest:Registries:DockerConfigFile=/etc/attest/registry/.dockerconfigjson", args);
        Assert.Contains("--Attest:Registries:CaFile=/etc/attest/registry-ca/ca.crt", args);
        Assert.Contains("--Attest:Registries:Allowed=ghcr.io,*.corp.example", args);
    }

    [Fact]
    public void PostgreSQL_mode_runs_replicas_that_share_the_database_with_a_disruption_budget_and_a_rolling_update()
    {
        var documents = Render("""
            policiesConfigMap: attest-policies
            replicas: 3
            ledger: {provider: postgresql, origin: attest.example.com/ledger, connectionStringSecret: {name: attest-db}}
            signing: {keyPasswordSecret: {name: attest-kek, key: kek}}
            auth: {bootstrapCredentialsSecret: attest-admin}
            antiAffinity: hard
            """);
        Assert.DoesNotContain(documents, d => Text(d, "kind") == "PersistentVolumeClaim");
        var deployment = Single(documents, "Deployment");
        DeploymentRules.AssertHardened(deployment);
        Assert.Equal("3", Text(deployment, "spec", "replicas"));
        Assert.Equal("RollingUpdate", Text(deployment, "spec", "strategy", "type"));
        Assert.Equal("0", Text(deployment, "spec", "strategy", "rollingUpdate", "maxUnavailable"));
        var pod = Get(deployment, "spec", "template", "spec")!;
        Assert.Equal("kubernetes.io/hostname", Text(pod, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "0", "topologyKey"));
        Assert.NotNull(Get(pod, "volumes", "0", "emptyDir"));
        var env = DeploymentRules.Environment(deployment);
        Assert.Equal("postgresql", env["ATTEST_Attest__Ledger__Provider"]);
        Assert.Equal("secret attest-db/connectionString", env["ATTEST_Attest__Ledger__ConnectionString"]);
        Assert.Equal("secret attest-kek/kek", env["ATTEST_Attest__Signing__KeyPassword"]);
        var args = Args(documents);
        Assert.Contains("--Attest:Ledger:Origin=attest.example.com/ledger", args);
        Assert.Contains("--Attest:Auth:BootstrapCredentialsFile=/etc/attest/bootstrap/admin-credentials.json", args);

        var budget = Single(documents, "PodDisruptionBudget");
        Assert.Equal("1", Text(budget, "spec", "maxUnavailable"));
        Assert.Equal(Text(deployment, "spec", "selector", "matchLabels", "app.kubernetes.io/instance"), Text(budget, "spec", "selector", "matchLabels", "app.kubernetes.io/instance"));
    }

    [Fact]
    public void PostgreSQL_mode_without_its_secrets_does_not_render()
    {
        var missingDatabase = Assert.Throws<HelmRenderException>(() => Render("{policiesConfigMap: p, ledger: {provider: postgresql}, signing: {keyPasswordSecret: {name: k}}}"));
        Assert.Contains("ledger.connectionStringSecret.name is required", missingDatabase.Message, StringComparison.Ordinal);
        var missingPassword = Assert.Throws<HelmRenderException>(() => Render("{policiesConfigMap: p, ledger: {provider: postgresql, connectionStringSecret: {name: db}}}"));
        Assert.Contains("signing.keyPasswordSecret.name is required", missingPassword.Message, StringComparison.Ordinal);
    }

    /// <summary>Every combination of the values deploy/README.md documents renders to valid, hardened objects.</summary>
    [Theory]
    [InlineData("sqlite", true, false, "soft", true, "")]
    [InlineData("sqlite", false, true, "hard", false, "kek")]
    [InlineData("postgresql", true, true, "soft", true, "kek")]
    [InlineData("postgresql", false, false, "hard", false, "kek")]
    [InlineData("postgresql", true, false, "soft", false, "kek")]
    public void Documented_value_combinations_render_hardened(string provider, bool certManager, bool pullSecrets, string antiAffinity, bool excludeKubeSystem, string password)
    {
        string Bool(bool value) => value ? "true" : "false";
        var documents = Render($$$"""
            policiesConfigMap: attest-policies
            ledger: {provider: {{{provider}}}, connectionStringSecret: {name: attest-db}}
            signing: {keyPasswordSecret: {name: "{{{password}}}"}}
            tls: {certManager: {{{Bool(certManager)}}}, caBundle: Q0E=}
            pullSecrets: {enabled: {{{Bool(pullSecrets)}}}}
            antiAffinity: {{{antiAffinity}}}
            webhook: {excludeKubeSystem: {{{Bool(excludeKubeSystem)}}}, failurePolicy: Ignore}
            """);
        var deployment = Single(documents, "Deployment");
        DeploymentRules.AssertHardened(deployment);
        Assert.Equal(provider == "postgresql", documents.Any(d => Text(d, "kind") == "PodDisruptionBudget"));
        Assert.Equal(provider != "postgresql", documents.Any(d => Text(d, "kind") == "PersistentVolumeClaim"));
        Assert.Equal(pullSecrets, documents.Any(d => Text(d, "kind") == "ClusterRole"));
        Assert.Equal(password.Length > 0, DeploymentRules.Environment(deployment).ContainsKey("ATTEST_Attest__Signing__KeyPassword"));
        foreach (var kind in new[] { "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration" })
        {
            var webhook = Get(Single(documents, kind), "webhooks", "0")!;
            Assert.Equal("Ignore", Text(webhook, "failurePolicy"));
            DeploymentRules.AssertWebhookExclusions(webhook, Namespace, excludeKubeSystem);
        }
    }

    [Fact]
    public void Renderer_refuses_what_it_does_not_understand()
    {
        var renderer = new HelmSubsetRenderer(new YamlMappingNode(), Release, Namespace, "0.1.0");
        Assert.Throws<FormatException>(() => renderer.Render("a: {{ include \"x\" . }}", "t.yaml"));
        Assert.Throws<FormatException>(() => renderer.Render("a: {{ .Values.missing }}", "t.yaml"));
        Assert.Throws<FormatException>(() => renderer.Render("{{- if .Release.Name }}a: b", "t.yaml"));
        Assert.Equal("a: \"attest-system\"", renderer.Render("a: {{ .Release.Namespace | quote }}", "t.yaml"));
        Assert.Equal("a:\nb: c", renderer.Render("a:\n{{- if not .Release.Name }}x{{- else }}\nb: c{{- end }}", "t.yaml"));
        Assert.Equal("a: attest", renderer.Render("a: {{ required \"a name\" .Release.Name }}", "t.yaml"));
        Assert.Equal("x is needed", Assert.Throws<HelmRenderException>(() =>
            new HelmSubsetRenderer(new YamlMappingNode { { "x", "" } }, Release, Namespace, "0.1.0").Render("a: {{ required \"x is needed\" .Values.x }}", "t.yaml")).Message);
    }
}

using Attest.Testing;
using YamlDotNet.RepresentationModel;

namespace Attest.Server.Tests.Deploy;

/// <summary>deploy/kubernetes: the plain manifests parse as Kubernetes objects and say what the chart says: hardened
/// Deployments, one SQLite replica or PostgreSQL replicas with a disruption budget, webhooks that skip Attest's
/// namespace, kube-system and opted-out namespaces.</summary>
public sealed class KubernetesManifestTests
{
    private static List<YamlMappingNode> Load(string file)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "deploy", "kubernetes", file))));
        var documents = stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode)).ToList();
        foreach (var document in documents)
        {
            Assert.NotEqual("", DeploymentRules.Text(document, "apiVersion"));
            Assert.NotEqual("", DeploymentRules.Text(document, "kind"));
            Assert.NotEqual("", DeploymentRules.Text(document, "metadata", "name"));
        }
        return documents;
    }

    private static YamlMappingNode Kind(List<YamlMappingNode> documents, string kind) => Assert.Single(documents, d => DeploymentRules.Text(d, "kind") == kind);

    [Fact]
    public void SQLite_manifest_runs_one_hardened_replica_on_a_volume()
    {
        var documents = Load("attest.yaml");
        var deployment = Kind(documents, "Deployment");
        DeploymentRules.AssertHardened(deployment);
        Assert.Equal("1", DeploymentRules.Text(deployment, "spec", "replicas"));
        Assert.Equal("Recreate", DeploymentRules.Text(deployment, "spec", "strategy", "type"));
        Kind(documents, "PersistentVolumeClaim");
    }

    [Fact]
    public void PostgreSQL_manifest_runs_replicas_with_secrets_a_budget_and_a_rolling_update()
    {
        var documents = Load("attest-postgresql.yaml");
        var deployment = Kind(documents, "Deployment");
        DeploymentRules.AssertHardened(deployment);
        Assert.True(int.Parse(DeploymentRules.Text(deployment, "spec", "replicas"), System.Globalization.CultureInfo.InvariantCulture) >= 2);
        Assert.Equal("0", DeploymentRules.Text(deployment, "spec", "strategy", "rollingUpdate", "maxUnavailable"));
        Assert.NotNull(DeploymentRules.Get(deployment, "spec", "template", "spec", "affinity", "podAntiAffinity"));
        var env = DeploymentRules.Environment(deployment);
        Assert.Equal("postgresql", env["ATTEST_Attest__Ledger__Provider"]);
        Assert.StartsWith("secret ", env["ATTEST_Attest__Ledger__ConnectionString"], StringComparison.Ordinal);
        Assert.StartsWith("secret ", env["ATTEST_Attest__Signing__KeyPassword"], StringComparison.Ordinal);
        Assert.DoesNotContain(documents, d => DeploymentRules.Text(d, "kind") == "PersistentVolumeClaim");
        Assert.Equal("1", DeploymentRules.Text(Kind(documents, "PodDisruptionBudget"), "spec", "maxUnavailable"));
    }

    [Fact]
    public void Webhooks_skip_attest_kube_system_and_opted_out_namespaces()
    {
        var documents = Load("webhooks.yaml");
        foreach (var kind in new[] { "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration" })
            DeploymentRules.AssertWebhookExclusions(DeploymentRules.Get(Kind(documents, kind), "webhooks", "0")!, "attest-system", excludeKubeSystem: true);
    }
}

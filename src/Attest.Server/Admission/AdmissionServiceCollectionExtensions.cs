using System.Security.Cryptography.X509Certificates;
using Attest.Oci;
using Attest.Policy.Admission;
using Attest.Policy.Evaluation;
using Attest.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Attest.Server.Admission;

public static class AdmissionServiceCollectionExtensions
{
    /// <summary>Admission options, the registry client (with configured credentials and CAs) and the pinner.</summary>
    public static IServiceCollection AddAdmission(this IServiceCollection services, IConfiguration configuration)
    {
        var admission = services.AddValidatedOptions<AdmissionOptions>(configuration, AdmissionOptions.Section, o => o.Validate());
        var pullSecrets = services.AddValidatedOptions<PullSecretOptions>(configuration, PullSecretOptions.Section, _ => []);
        KubernetesPullSecrets.Connect(pullSecrets); // now, so a missing token or CA stops start-up
        services.AddSingleton<KubernetesPullSecrets>();

        var access = services.AddValidatedOptions<RegistryAccessOptions>(configuration, RegistryAccessOptions.Section, _ => [], (o, registries) =>
        {
            o.Allowed = ConfigurationLists.Read(registries, nameof(RegistryAccessOptions.Allowed), o.Allowed, "registry", "to mean any");
            o.Insecure = ConfigurationLists.Read(registries, nameof(RegistryAccessOptions.Insecure), o.Insecure, "registry", "to mean any");
        });
        var registryOptions = CreateRegistryOptions(access); // now, so a bad CA or credentials file stops start-up
        services.AddSingleton(registryOptions); // the egress rules, also for OIDC key sets and the checksum database's upstream proxy
        services.AddSingleton(provider => new RegistryClient(registryOptions, provider.GetRequiredService<TimeProvider>(),
            new Telemetry.RegistryMetricsHandler(EgressHttpHandler.Create(registryOptions))));
        services.AddSingleton<ImagePinner>();
        services.AddSingleton<IEvidenceSource, RegistryEvidenceSource>();
        services.AddSingleton(provider => new AuthorityVerifier(provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new PolicyJudge(provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new EvaluatorOptions
        {
            AllowUnmatchedImages = admission.AllowUnmatchedImages,
            VerdictTtl = TimeSpan.FromSeconds(admission.VerdictCacheSeconds),
            WorkTimeout = TimeSpan.FromSeconds(admission.TimeoutSeconds),
        });
        services.AddSingleton(provider => new AdmissionEvaluator(
            provider.GetRequiredService<IEvidenceSource>(), provider.GetRequiredService<AuthorityVerifier>(), provider.GetRequiredService<PolicyJudge>(),
            provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<EvaluatorOptions>()));
        services.AddSingleton<DecisionRecorder>();
        return services;
    }

    private static RegistryClientOptions CreateRegistryOptions(RegistryAccessOptions access)
    {
        X509Certificate2Collection? cas = null;
        if (access.CaFile is { } caFile)
        {
            cas = [];
            try
            {
                cas.ImportFromPemFile(caFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                throw new StartupException($"Attest:Registries:CaFile {caFile} cannot be read: {e.Message}", e);
            }
        }
        IRegistryCredentialProvider? credentials = null;
        if (access.DockerConfigFile is { } configFile)
        {
            try
            {
                credentials = DockerConfigCredentials.ParseConfigJson(File.ReadAllBytes(configFile));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                throw new StartupException($"Attest:Registries:DockerConfigFile {configFile} cannot be used: {e.Message}", e);
            }
        }
        return new RegistryClientOptions
        {
            InsecureRegistries = new HashSet<string>(access.Insecure, StringComparer.OrdinalIgnoreCase),
            CaCertificates = cas,
            Credentials = credentials,
            AllowedRegistries = access.Allowed,
            AllowLinkLocal = access.AllowLinkLocal,
        };
    }
}

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
        var admission = new AdmissionOptions();
        configuration.GetSection("Attest:Admission").Bind(admission);
        if (admission.VerdictCacheSeconds is < 0 or > 86_400)
            throw new StartupException($"Attest:Admission:VerdictCacheSeconds must be between 0 and 86400, not {admission.VerdictCacheSeconds}");
        if (admission.TimeoutSeconds is <= 0 or > 30)
            throw new StartupException($"Attest:Admission:TimeoutSeconds must be between 0 and 30 (the API server's maximum), not {admission.TimeoutSeconds}");
        services.AddSingleton(Options.Create(admission));
        var pullSecrets = new PullSecretOptions();
        configuration.GetSection("Attest:Admission:PullSecrets").Bind(pullSecrets);
        KubernetesPullSecrets.Connect(pullSecrets); // now, so a missing token or CA stops start-up
        services.AddSingleton(Options.Create(pullSecrets));
        services.AddSingleton<KubernetesPullSecrets>();

        var access = new RegistryAccessOptions();
        var registries = configuration.GetSection("Attest:Registries");
        registries.Bind(access);
        access.Allowed = ConfigurationLists.Read(registries, nameof(RegistryAccessOptions.Allowed), access.Allowed, "registry", "to mean any");
        access.Insecure = ConfigurationLists.Read(registries, nameof(RegistryAccessOptions.Insecure), access.Insecure, "registry", "to mean any");
        services.AddSingleton(Options.Create(access));
        var registryOptions = CreateRegistryOptions(access); // now, so a bad CA or credentials file stops start-up
        services.AddSingleton(registryOptions); // the egress rules, also for the checksum database's upstream proxy
        services.AddSingleton(provider => new RegistryClient(registryOptions, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ImagePinner>();
        services.AddSingleton<EvidenceCollector>();
        services.AddSingleton(provider => new AuthorityVerifier(provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new PolicyChecker(provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new EvaluatorOptions
        {
            AllowUnmatchedImages = admission.AllowUnmatchedImages,
            VerdictTtl = TimeSpan.FromSeconds(admission.VerdictCacheSeconds),
        });
        services.AddSingleton<AdmissionEvaluator>();
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

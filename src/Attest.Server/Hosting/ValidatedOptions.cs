using Microsoft.Extensions.Options;

namespace Attest.Server.Hosting;

/// <summary>
/// Options bound from a configuration section the standard way (<c>AddOptions&lt;T&gt;().Bind(…).ValidateOnStart()</c>)
/// with validation that reports every problem at once, each a sentence naming the setting. The section is also bound
/// and validated now, for the start-up work that needs the values before the host exists; both bindings see the same
/// configuration, so they agree.
/// </summary>
internal static class ValidatedOptions
{
    public static T AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration, string section,
        Func<T, IReadOnlyList<string>> validate, Action<T, IConfigurationSection>? postConfigure = null) where T : class, new()
    {
        var configured = configuration.GetSection(section);
        var value = new T();
        try
        {
            configured.Bind(value);
        }
        catch (InvalidOperationException e)
        {
            throw new StartupException($"configuration section {section} is invalid: {e.Message}", e);
        }
        postConfigure?.Invoke(value, configured);
        var errors = validate(value);
        if (errors.Count > 0) throw new StartupException(string.Join("; ", errors));

        var builder = services.AddOptions<T>().Bind(configured);
        if (postConfigure is not null) builder.PostConfigure(o => postConfigure(o, configured));
        builder.ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new EveryError<T>(validate));
        return value;
    }

    private sealed class EveryError<T>(Func<T, IReadOnlyList<string>> validate) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            validate(options) is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}

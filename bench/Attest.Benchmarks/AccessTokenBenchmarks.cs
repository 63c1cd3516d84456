using System.Security.Claims;
using System.Security.Cryptography;
using Attest.Server.Auth;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Attest.Benchmarks;

/// <summary>
/// What an access token costs to make and to check, by itself (no HTTP, no OpenIddict pipeline): the ES256 JWTs of
/// the OpenIddict server (IdentityModel's handler with the token key of <see cref="OAuthSigningKey"/>, as issued and as
/// validated on every API request; verification through Attest's OpenSSL path, and for comparison through .NET's
/// <see cref="ECDsa"/>), against the ASP.NET Core bearer tokens Attest issued before (an authentication ticket protected
/// by data protection: AES-256-CBC and HMAC-SHA256 with a derived key). The difference is the part of token issuance
/// and of API authentication that a signed, self-contained token costs by itself (issue 18).
/// Run: dotnet run -c Release --project bench/Attest.Benchmarks -- --filter '*AccessToken*'
/// </summary>
[MemoryDiagnoser]
public class AccessTokenBenchmarks : IDisposable
{
    private readonly JsonWebTokenHandler _handler = new();
    private OAuthSigningKey _key = null!;
    private SecurityTokenDescriptor _descriptor = null!;
    private TokenValidationParameters _validation = null!;
    private TokenValidationParameters _validationByDotNet = null!;
    private string _jwt = "";
    private TicketDataFormat _tickets = null!;
    private AuthenticationTicket _ticket = null!;
    private string _protectedTicket = "";

    [GlobalSetup]
    public void Setup()
    {
        _key = new OAuthSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        // The claims Attest's tokens carry (RFC 9068 access token of a client-credentials grant).
        Claim[] claims = [new("sub", "attest-0123456789abcdef"), new("name", "bench-ci"), new("client_id", "attest-0123456789abcdef"), new("scope", "sign"),
            new("jti", Guid.NewGuid().ToString()), new("oi_prst", "attest-0123456789abcdef")];
        _descriptor = new SecurityTokenDescriptor
        {
            Issuer = "urn:attest",
            TokenType = "at+jwt",
            Subject = new ClaimsIdentity(claims),
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(_key.SecurityKey, SecurityAlgorithms.EcdsaSha256),
        };
        _jwt = _handler.CreateToken(_descriptor);
        _validation = new TokenValidationParameters { ValidIssuer = "urn:attest", ValidateAudience = false, IssuerSigningKey = _key.SecurityKey, ValidTypes = ["at+jwt"] };
        _validationByDotNet = _validation.Clone();
        _validationByDotNet.IssuerSigningKey = new ECDsaSecurityKey(_key.Key) { KeyId = _key.KeyId };

        var protector = DataProtectionProvider.Create("attest-bench").CreateProtector("Microsoft.AspNetCore.Authentication.BearerToken", "BearerToken", "v1");
        _tickets = new TicketDataFormat(protector);
        var now = DateTimeOffset.UtcNow;
        _ticket = new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim("client_id", "attest-0123456789abcdef"), new Claim(ClaimTypes.Name, "bench-ci"), new Claim("scope", "sign")], "BearerToken", ClaimTypes.Name, null)),
            new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now.AddHours(1) }, "BearerToken");
        _protectedTicket = _tickets.Protect(_ticket);
        // The first verifications run before the key's table of multiples is built (after 64, off the calling thread).
        for (var i = 0; i < 200; i++) _handler.ValidateTokenAsync(_jwt, _validation).GetAwaiter().GetResult();
        Thread.Sleep(500);
    }

    [Benchmark]
    public string IssueJwtEs256() => _handler.CreateToken(_descriptor);

    [Benchmark]
    public Task<TokenValidationResult> ValidateJwtEs256() => _handler.ValidateTokenAsync(_jwt, _validation);

    [Benchmark]
    public Task<TokenValidationResult> ValidateJwtEs256WithDotNetECDsa() => _handler.ValidateTokenAsync(_jwt, _validationByDotNet);

    [Benchmark(Baseline = true)]
    public string ProtectBearerTicket() => _tickets.Protect(_ticket);

    [Benchmark]
    public AuthenticationTicket? UnprotectBearerTicket() => _tickets.Unprotect(_protectedTicket);

    [GlobalCleanup]
    public void Dispose()
    {
        _key?.Dispose();
        GC.SuppressFinalize(this);
    }
}

// The root vitest.config.mts only collects libs/, apps/ and test/; until it also includes policies/**, the
// shipped-policy tests are registered from here so they run in the normal test run.
import '../../policies/policies.spec';

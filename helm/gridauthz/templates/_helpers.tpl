{{/* Chart name, overridable. */}}
{{- define "gridauthz.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Resource name prefix: 63 characters at most, the DNS label limit. */}}
{{- define "gridauthz.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gridauthz.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Standard labels on every resource. */}}
{{- define "gridauthz.labels" -}}
helm.sh/chart: {{ include "gridauthz.chart" . }}
{{ include "gridauthz.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gridauthz
{{- end }}

{{/* Labels that select the release's pods; never change them on upgrade (Deployment selectors are immutable). */}}
{{- define "gridauthz.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gridauthz.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector of the PDP server pods, as opposed to the migration and trust-refresh jobs. */}}
{{- define "gridauthz.serverSelectorLabels" -}}
{{ include "gridauthz.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "gridauthz.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gridauthz.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The gridauthz image: a digest pins the bytes, else the tag, else the chart's appVersion. */}}
{{- define "gridauthz.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the Secret with the host certificate and key. */}}
{{- define "gridauthz.hostCertSecretName" -}}
{{- default (printf "%s-hostcert" (include "gridauthz.fullname" .)) .Values.hostCert.existingSecret }}
{{- end }}

{{/* Name of the policy ConfigMap, or empty when pods should use the policy shipped in the image. */}}
{{- define "gridauthz.policyConfigMapName" -}}
{{- if .Values.policy.existingConfigMap }}
{{- .Values.policy.existingConfigMap }}
{{- else if or .Values.policy.files (.Files.Glob "policies/*.spl") }}
{{- printf "%s-policy" (include "gridauthz.fullname" .) }}
{{- end }}
{{- end }}

{{/* Claim the fetch-crl job writes and the pods read. */}}
{{- define "gridauthz.trustClaimName" -}}
{{- default (printf "%s-trust" (include "gridauthz.fullname" .)) .Values.trust.fetchCrl.persistence.existingClaim }}
{{- end }}

{{/* Stops rendering with a message when a required value is missing or contradictory. */}}
{{- define "gridauthz.validate" -}}
{{- if not .Values.database.existingSecret }}
{{- fail "database.existingSecret is required: the name of a Secret holding the PostgreSQL URL (see README: Database)" }}
{{- end }}
{{- if and (not .Values.hostCert.existingSecret) (or (not .Values.hostCert.cert) (not .Values.hostCert.key)) }}
{{- fail "set hostCert.existingSecret, or both hostCert.cert and hostCert.key (--set-file hostCert.cert=hostcert.pem --set-file hostCert.key=hostkey.pem)" }}
{{- end }}
{{- if and (not .Values.trust.vomsdir.volume) (not .Values.trust.vomsdir.lsc) }}
{{- fail "trust.vomsdir needs a volume or lsc entries: without a vomsdir no VOMS attribute can be trusted" }}
{{- end }}
{{- if and (eq .Values.trust.mode "volume") (not .Values.trust.volume.certificates) }}
{{- fail "trust.mode is volume but trust.volume.certificates is empty" }}
{{- end }}
{{- end }}

{{/*
The refresh pod of fetch-crl mode, shared by the CronJob and the Job that fills the claim at install time.
It copies the CA distribution into the claim with rsync (each file replaced by rename, so a reading pod never
sees half a file), removes withdrawn CAs, then lets fetch-crl write <hash>.r0 CRLs next to them.
*/}}
{{- define "gridauthz.fetchCrlPodSpec" -}}
restartPolicy: OnFailure
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  seccompProfile:
    type: RuntimeDefault
  {{- if not .Values.trust.fetchCrl.installPackages }}
  # Group 10001 on the claim (where the storage driver supports fsGroup) lets a non-root image user write it.
  fsGroup: 10001
  {{- end }}
containers:
  - name: fetch-crl
    image: "{{ .Values.trust.fetchCrl.image.repository }}:{{ .Values.trust.fetchCrl.image.tag }}"
    imagePullPolicy: {{ .Values.trust.fetchCrl.image.pullPolicy }}
    env:
      - name: INSTALL_PACKAGES
        value: {{ .Values.trust.fetchCrl.installPackages | quote }}
      - name: CA_PACKAGES
        value: {{ join " " .Values.trust.fetchCrl.caPackages | quote }}
    command: ["/bin/bash", "-c"]
    args:
      - |
        set -euo pipefail
        if [ "$INSTALL_PACKAGES" = "true" ]; then
          dnf -y -q install epel-release
          curl -fsSL -o /etc/yum.repos.d/EGI-trustanchors.repo https://repository.egi.eu/sw/production/cas/1/current/repo-files/EGI-trustanchors.repo
          dnf -y -q install fetch-crl rsync $CA_PACKAGES
        fi
        mkdir -p /trust/certificates
        # CRLs stay while the CA set is synchronised; fetch-crl refreshes them right after.
        rsync -a --delete --exclude '*.r0' /etc/grid-security/certificates/ /trust/certificates/
        exec fetch-crl --verbose --infodir /trust/certificates --out /trust/certificates {{- range .Values.trust.fetchCrl.extraArgs }} {{ . | quote }}{{ end }}
    securityContext:
      # Root only for package installation (dnf); a prebuilt image (installPackages false) runs as its own
      # non-root user without capabilities. No privilege escalation in either case.
      allowPrivilegeEscalation: false
      {{- if not .Values.trust.fetchCrl.installPackages }}
      runAsNonRoot: true
      capabilities:
        drop:
          - ALL
      {{- end }}
    resources:
      {{- toYaml .Values.trust.fetchCrl.resources | nindent 6 }}
    volumeMounts:
      - name: trust
        mountPath: /trust
volumes:
  - name: trust
    persistentVolumeClaim:
      claimName: {{ include "gridauthz.trustClaimName" . }}
{{- end }}

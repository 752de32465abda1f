{{/* Names and labels shared by every object of the chart. */}}
{{- define "groeiruimte.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "groeiruimte.labels" -}}
app.kubernetes.io/part-of: groeiruimte
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "groeiruimte.selector" -}}
app.kubernetes.io/part-of: groeiruimte
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{/* The environment every container of the chart gets: Kafka, database, tokens, shared settings. */}}
{{- define "groeiruimte.commonEnv" -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ .Values.kafka.bootstrapServers | quote }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ .Values.kafka.securityProtocol | quote }}
- name: KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.saslMechanism | quote }}
- name: KAFKA_TOPIC_PREFIX
  value: {{ .Values.kafka.topicPrefix | quote }}
- name: KAFKA_TOPIC_PARTITIONS
  value: {{ .Values.kafka.topicPartitions | quote }}
- name: KAFKA_SESSION_TIMEOUT_MS
  value: {{ .Values.kafka.sessionTimeoutMs | quote }}
- name: DATABASE_URL
  valueFrom: {secretKeyRef: {name: {{ .Values.secrets.name }}, key: DATABASE_URL}}
- name: API_TOKENS
  valueFrom: {secretKeyRef: {name: {{ .Values.secrets.name }}, key: API_TOKENS}}
- name: PERSON_TOKEN_SECRET
  valueFrom: {secretKeyRef: {name: {{ .Values.secrets.name }}, key: PERSON_TOKEN_SECRET}}
{{- range $key, $value := .Values.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* One service's own environment: its Kafka principal, its secrets, its settings. */}}
{{- define "groeiruimte.serviceEnv" -}}
{{- $prefix := upper .name -}}
{{- if hasPrefix "SASL" .root.Values.kafka.securityProtocol }}
- name: KAFKA_SASL_USERNAME
  value: {{ .service.kafkaUsername | default .name | quote }}
- name: KAFKA_SASL_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ .root.Values.secrets.name }}, key: {{ printf "KAFKA_SASL_PASSWORD_%s" $prefix }}}}
{{- end }}
{{- range .service.secretEnv }}
- name: {{ . }}
  valueFrom: {secretKeyRef: {name: {{ $.root.Values.secrets.name }}, key: {{ . }}}}
{{- end }}
{{- if and .service.smtp .service.smtp.username }}
- name: NOTIFICATIONS_SMTP_USERNAME
  value: {{ .service.smtp.username | quote }}
- name: NOTIFICATIONS_SMTP_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ .root.Values.secrets.name }}, key: NOTIFICATIONS_SMTP_PASSWORD}}
{{- end }}
- name: {{ $prefix }}_HTTP_HOST
  value: "0.0.0.0"
- name: {{ $prefix }}_HTTP_PORT
  value: {{ .root.Values.httpPort | quote }}
{{- range $key, $value := .service.env }}
- name: {{ $key }}
  value: {{ tpl (toString $value) $.root | quote }}
{{- end }}
{{- end -}}
